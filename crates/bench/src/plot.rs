//! Latency distribution plots: one SVG histogram per mode, with the median and p99 marked.
//! Counts are on a logarithmic axis, so the tail that p99 speaks of is visible.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::latency::quantile;

const BINS: usize = 60;

/// Writes a histogram of `samples_us` (clipped at p99.9 so one outlier does not flatten
/// the picture; the clipped share is said in the caption) to `path`.
pub(crate) fn latency_histogram(
    path: &Path,
    title: &str,
    samples_us: &[f64],
    median_us: f64,
    p99_us: f64,
) -> Result<()> {
    if samples_us.is_empty() {
        return Err(anyhow!("no samples to plot for {title}"));
    }
    let lo = quantile(samples_us, 0.0);
    let hi = quantile(samples_us, 0.999).max(lo + 1.0);
    let width = (hi - lo) / BINS as f64;
    let mut counts = [0u32; BINS];
    let mut clipped = 0usize;
    for &s in samples_us {
        if s > hi {
            clipped += 1;
            continue;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bin = (((s - lo) / width) as usize).min(BINS - 1);
        counts[bin] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1);

    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let caption = format!(
        "{title}: {} calls, median {median_us:.1} µs, p99 {p99_us:.1} µs ({clipped} above p99.9 not drawn)",
        samples_us.len()
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, (0.8f64..f64::from(top) * 2.0).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("latency per call (µs)")
        .y_desc("calls (log scale)")
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, &c)| {
                    let x0 = lo + width * i as f64;
                    Rectangle::new(
                        [(x0, 0.8), (x0 + width, f64::from(c))],
                        BLUE.mix(0.55).filled(),
                    )
                }),
        )
        .map_err(|e| anyhow!("{e}"))?;
    for (value, label, color) in [(median_us, "median", RED), (p99_us, "p99", BLACK)] {
        if value <= hi {
            chart
                .draw_series(LineSeries::new(
                    [(value, 0.8), (value, f64::from(top))],
                    color.stroke_width(2),
                ))
                .map_err(|e| anyhow!("{e}"))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
