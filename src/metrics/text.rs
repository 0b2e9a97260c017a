//! The Prometheus text exposition format (version 0.0.4): `# HELP` and
//! `# TYPE` lines, then one line per sample, `name{label="value"} number`.
//! Label values may come from clients (operation names), so `\`, `"` and
//! line feeds in them are escaped; a value can never end its line or its
//! quotes early.

use std::fmt::{Display, Write as _};

/// The `Content-Type` of a scrape's answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a metric family is, for its `# TYPE` line.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Only goes up (until the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Observations counted in cumulative buckets, with their sum and count.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A scrape's answer, written one family at a time.
#[derive(Debug, Default)]
pub struct Text {
    out: String,
}

impl Text {
    /// Start a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        self.out.push_str("# HELP ");
        self.out.push_str(name);
        self.out.push(' ');
        for c in help.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                c => self.out.push(c),
            }
        }
        self.out.push_str("\n# TYPE ");
        self.out.push_str(name);
        self.out.push(' ');
        self.out.push_str(kind.as_str());
        self.out.push('\n');
    }

    /// One sample: `name{labels} value`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, text)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(label);
                self.out.push_str("=\"");
                escape_into(&mut self.out, text);
                self.out.push('"');
            }
            self.out.push('}');
        }
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, " {value}");
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value as the format quotes it.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_samples() {
        let mut text = Text::default();
        text.family("agora_things_total", Kind::Counter, "Things seen.");
        text.sample("agora_things_total", &[("kind", "a"), ("size", "big")], 3);
        text.family("process_start_time_seconds", Kind::Gauge, "Start.");
        text.sample("process_start_time_seconds", &[], 1.5);
        assert_eq!(
            text.finish(),
            "# HELP agora_things_total Things seen.\n\
             # TYPE agora_things_total counter\n\
             agora_things_total{kind=\"a\",size=\"big\"} 3\n\
             # HELP process_start_time_seconds Start.\n\
             # TYPE process_start_time_seconds gauge\n\
             process_start_time_seconds 1.5\n"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        let mut text = Text::default();
        text.sample("m", &[("name", "a\\b\"c\nd}e,f=g")], 1);
        assert_eq!(text.finish(), "m{name=\"a\\\\b\\\"c\\nd}e,f=g\"} 1\n");
    }

    #[test]
    fn help_is_escaped() {
        let mut text = Text::default();
        text.family("m", Kind::Histogram, "one\\two\nthree \"quoted\"");
        assert_eq!(
            text.finish(),
            "# HELP m one\\\\two\\nthree \"quoted\"\n# TYPE m histogram\n"
        );
    }
}
