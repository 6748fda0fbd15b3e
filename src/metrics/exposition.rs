//! The Prometheus text exposition format (version 0.0.4), written by hand: each family is one
//! `# HELP` and `# TYPE` line followed by its samples, label values escaped as the format
//! says (`\\`, `\"`, `\n`).

use std::fmt::Write as _;

use super::HistogramSnapshot;

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Label names and values of one sample: an array, a slice or a vector of pairs.
pub trait Labels {
    fn pairs(&self) -> &[(&str, &str)];
}

impl<const N: usize> Labels for [(&str, &str); N] {
    fn pairs(&self) -> &[(&str, &str)] {
        self
    }
}

/// A sample without labels.
pub const NO_LABELS: [(&str, &str); 0] = [];

/// A scrape's text, built one family at a time.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    pub fn counter<L: Labels>(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (L, u64)>,
    ) {
        self.header(name, help, "counter");
        for (labels, value) in samples {
            self.sample(name, labels.pairs(), None, &value.to_string());
        }
    }

    pub fn gauge<L: Labels>(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (L, f64)>,
    ) {
        self.header(name, help, "gauge");
        for (labels, value) in samples {
            self.sample(name, labels.pairs(), None, &number(value));
        }
    }

    pub fn histogram<L: Labels>(
        &mut self,
        name: &str,
        help: &str,
        series: impl IntoIterator<Item = (L, HistogramSnapshot)>,
    ) {
        self.header(name, help, "histogram");
        let bucket = format!("{name}_bucket");
        for (labels, h) in series {
            let labels = labels.pairs();
            for (bound, count) in &h.buckets {
                self.sample(&bucket, labels, Some(&number(*bound)), &count.to_string());
            }
            self.sample(&bucket, labels, Some("+Inf"), &h.count.to_string());
            self.sample(&format!("{name}_sum"), labels, None, &number(h.sum_seconds));
            self.sample(&format!("{name}_count"), labels, None, &h.count.to_string());
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn header(&mut self, name: &str, help: &str, kind: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], le: Option<&str>, value: &str) {
        self.out.push_str(name);
        let all = labels.iter().copied().chain(le.map(|le| ("le", le)));
        let mut first = true;
        for (k, v) in all {
            self.out.push(if first { '{' } else { ',' });
            first = false;
            let _ = write!(self.out, "{k}=\"{}\"", escape(v));
        }
        if !first {
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.is_nan() {
        "NaN".into()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escapes() {
        let mut e = Exposition::default();
        e.counter(
            "x_total",
            "Things.\nCounted",
            [([("queue", "Sales \"A\"\\B\nC")], 3)],
        );
        e.gauge("g", "A gauge.", [(NO_LABELS, 1.5)]);
        e.histogram(
            "h_seconds",
            "Times.",
            [(
                [("route", "/x")],
                HistogramSnapshot {
                    buckets: vec![(0.5, 1), (1.0, 2)],
                    count: 3,
                    sum_seconds: 4.25,
                },
            )],
        );
        assert_eq!(
            e.finish(),
            "# HELP x_total Things.\\nCounted\n# TYPE x_total counter\n\
             x_total{queue=\"Sales \\\"A\\\"\\\\B\\nC\"} 3\n\
             # HELP g A gauge.\n# TYPE g gauge\ng 1.5\n\
             # HELP h_seconds Times.\n# TYPE h_seconds histogram\n\
             h_seconds_bucket{route=\"/x\",le=\"0.5\"} 1\n\
             h_seconds_bucket{route=\"/x\",le=\"1\"} 2\n\
             h_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n\
             h_seconds_sum{route=\"/x\"} 4.25\n\
             h_seconds_count{route=\"/x\"} 3\n"
        );
    }
}
