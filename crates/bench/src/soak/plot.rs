//! `soak.svg`: the application's resident set (top) and the bytes each destination held
//! for replay (bottom) over the run, with each receiver's outages marked under the
//! bottom chart.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use super::schedule::FaultKind;
use super::{SoakReport, mb};

/// Writes the plot of `report` to `path`.
pub(crate) fn rss_and_held(path: &Path, report: &SoakReport) -> Result<()> {
    let e = |e: DrawingAreaErrorKind<_>| anyhow!("{e}");
    let samples = &report.samples;
    let minutes = |t: f64| t / 60.0;
    let end = samples
        .last()
        .map_or(1.0, |s| minutes(s.app.t_s))
        .max(1.0 / 60.0);
    let root = SVGBackend::new(path, (1000, 720)).into_drawing_area();
    root.fill(&WHITE).map_err(e)?;
    let (top, bottom) = root.split_vertically(340);

    let rss_max = samples
        .iter()
        .map(|s| mb(s.app.rss_bytes))
        .fold(1.0, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!(
                "application RSS: {:.1} MB after warm-up, {:.1} MB at the end; {:+.1} KB/min ({})",
                report.rss.start_mb,
                report.rss.end_mb,
                report
                    .rss
                    .idle_slope_kb_per_min
                    .unwrap_or(report.rss.slope_kb_per_min),
                if report.rss.flat { "flat" } else { "NOT flat" }
            ),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end, 0.0..rss_max)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .y_desc("RSS (MB)")
        .draw()
        .map_err(e)?;
    chart
        .draw_series(LineSeries::new(
            samples
                .iter()
                .map(|s| (minutes(s.app.t_s), mb(s.app.rss_bytes))),
            BLUE.stroke_width(2),
        ))
        .map_err(e)?;
    let warmup = minutes(report.rss.warmup_s);
    chart
        .draw_series(LineSeries::new(
            [(warmup, 0.0), (warmup, rss_max)],
            BLACK.mix(0.4),
        ))
        .map_err(e)?;

    let held_max = samples
        .iter()
        .flat_map(|s| s.app.destinations.iter().map(|d| mb(d.bytes_held)))
        .fold(1.0, f64::max)
        * 1.15;
    // Room under the curves for the outage bands.
    let band = held_max * 0.06;
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "bytes held for replay; bands below: outages at Langfuse (upper) and Instana (lower)",
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end, -2.0 * band..held_max)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("minutes")
        .y_desc("held (MB)")
        .draw()
        .map_err(e)?;
    for (i, (name, color)) in [("langfuse", RED), ("instana", GREEN)]
        .into_iter()
        .enumerate()
    {
        chart
            .draw_series(LineSeries::new(
                samples.iter().filter_map(|s| {
                    s.app
                        .destinations
                        .iter()
                        .find(|d| d.name == name)
                        .map(|d| (minutes(s.app.t_s), mb(d.bytes_held)))
                }),
                color.stroke_width(2),
            ))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2)));
        if let Some(schedule) = report.schedules.get(i) {
            #[allow(clippy::cast_precision_loss)]
            let y0 = -band * (i as f64 + 1.0);
            chart
                .draw_series(
                    schedule
                        .phases
                        .iter()
                        .filter(|p| p.kind == FaultKind::Outage)
                        .map(|p| {
                            Rectangle::new(
                                [
                                    (minutes(p.start_s), y0),
                                    (minutes(p.start_s + p.seconds), y0 + band * 0.8),
                                ],
                                color.mix(0.5).filled(),
                            )
                        }),
                )
                .map_err(e)?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}
