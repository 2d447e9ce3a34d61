//! An incremental parser of `text/event-stream` bodies: bytes in, `(event, data)` out,
//! whatever the chunk boundaries.

/// Longest line kept before giving up on a stream (a runaway line must not grow memory
/// without bound; the caller still gets every byte).
const MAX_LINE: usize = 16 * 1024 * 1024;

/// Parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
    overflowed: bool,
    invalid_utf8: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when a line exceeded the limit and parsing stopped.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// True when a line was not valid UTF-8 (it was read with replacement characters; the
    /// stream is malformed, `text/event-stream` is UTF-8 only).
    pub fn saw_invalid_utf8(&self) -> bool {
        self.invalid_utf8
    }

    /// Feeds bytes; calls `on_event(event, data)` for every complete event.
    pub fn push(&mut self, mut chunk: &[u8], on_event: &mut dyn FnMut(Option<&str>, &str)) {
        if self.overflowed {
            return;
        }
        while let Some(pos) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(pos);
            chunk = &rest[1..];
            if self.line.is_empty() {
                self.line_done(head, on_event);
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(head);
                self.line_done(&line, on_event);
                line.clear();
                self.line = line;
            }
        }
        if self.overflowed || self.line.len() + chunk.len() > MAX_LINE {
            self.overflowed = true;
            self.line = Vec::new();
            return;
        }
        self.line.extend_from_slice(chunk);
    }

    /// End of stream: dispatches an event left without its closing blank line.
    pub fn finish(&mut self, on_event: &mut dyn FnMut(Option<&str>, &str)) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, on_event);
        }
        self.dispatch(on_event);
    }

    fn line_done(&mut self, line: &[u8], on_event: &mut dyn FnMut(Option<&str>, &str)) {
        if self.overflowed {
            return;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = match std::str::from_utf8(line) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => {
                self.invalid_utf8 = true;
                String::from_utf8_lossy(line)
            }
        };
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                // Many `data:` lines without the blank line that ends an event would grow
                // one event without bound: the same limit as for a line applies.
                if self.data.len() + value.len() > MAX_LINE {
                    self.overflowed = true;
                    self.data = String::new();
                    self.has_data = false;
                    return;
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, on_event: &mut dyn FnMut(Option<&str>, &str)) {
        if self.has_data {
            on_event(self.event.as_deref(), &self.data);
        }
        self.data.clear();
        self.has_data = false;
        self.event = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        let mut parser = SseParser::new();
        let mut sink = |e: Option<&str>, d: &str| out.push((e.map(str::to_owned), d.to_owned()));
        for c in chunks {
            parser.push(c, &mut sink);
        }
        parser.finish(&mut sink);
        out
    }

    #[test]
    fn events_split_across_chunks_at_any_byte_are_reassembled() {
        let body = b"data: {\"a\":1}\n\nevent: response.done\r\ndata: {\"b\":\ndata: 2}\r\n\r\n: keepalive\n\ndata: [DONE]\n\n";
        let whole = events(&[body]);
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            assert_eq!(events(&[a, b]), whole, "split at {split}");
        }
        assert_eq!(
            whole,
            vec![
                (None, "{\"a\":1}".to_owned()),
                (Some("response.done".to_owned()), "{\"b\":\n2}".to_owned()),
                (None, "[DONE]".to_owned()),
            ]
        );
    }

    #[test]
    fn an_event_of_endless_data_lines_stops_the_parser_instead_of_growing() {
        let mut parser = SseParser::new();
        let mut delivered = 0;
        let line = format!("data: {}\n", "x".repeat(1024 * 1024));
        for _ in 0..(MAX_LINE / (1024 * 1024) + 2) {
            parser.push(line.as_bytes(), &mut |_, _| delivered += 1);
        }
        assert!(parser.overflowed());
        parser.push(b"\ndata: later\n\n", &mut |_, _| delivered += 1);
        parser.finish(&mut |_, _| delivered += 1);
        assert_eq!(delivered, 0);
        assert!(parser.data.is_empty());
    }

    #[test]
    fn invalid_utf8_is_read_with_replacement_characters_and_flagged() {
        let mut parser = SseParser::new();
        let mut got = Vec::new();
        parser.push(b"data: caf\xc3\x28\n\n", &mut |_, d| got.push(d.to_owned()));
        assert_eq!(got, vec!["caf\u{fffd}(".to_owned()]);
        assert!(parser.saw_invalid_utf8());
    }

    #[test]
    fn a_last_event_without_a_blank_line_is_still_delivered() {
        assert_eq!(events(&[b"data: x"]), vec![(None, "x".to_owned())]);
    }
}
