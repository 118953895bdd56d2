//! Every duration the coordinator prints, formatted here and only here,
//! in the few styles a reader meets:
//!
//! - [`secs`]: a time in a sentence, `0.40s`, `12.3s`;
//! - [`fine`]: the same, in milliseconds when under a tenth of a second
//!   (`0.4ms`, `12ms`), for the small parts of a gap;
//! - [`tiny`]: a clock's bound, in microseconds under a millisecond
//!   (`65µs`), else as [`fine`];
//! - [`column`]: a table's cell, at most five characters (`3.60s`, `123s`);
//! - [`alike`]: two times side by side, in the larger's unit;
//! - [`given`]: an option's value as a person writes it (`800ms`, `1h`);
//! - [`rough`]: a time left, to the second (to the minute past an hour);
//! - [`spaced`]: a picture's label, `500 ms`, `1.5 s`.

use std::time::Duration;

/// A time in a sentence: two decimals under ten seconds, one above.
#[must_use]
pub fn secs(s: f64) -> String {
    if s < 10.0 { format!("{s:.2}s") } else { format!("{s:.1}s") }
}

/// A short time, in milliseconds under a tenth of a second: `0.4ms`,
/// `12ms`, else as [`secs`].
#[must_use]
pub fn fine(s: f64) -> String {
    in_unit_of(s, s)
}

/// `s` in the unit and decimals that [`fine`] gives `reference`.
fn in_unit_of(reference: f64, s: f64) -> String {
    match reference {
        r if r < 0.01 => format!("{:.1}ms", s * 1e3),
        r if r < 0.1 => format!("{:.0}ms", s * 1e3),
        r if r < 10.0 => format!("{s:.2}s"),
        _ => format!("{s:.1}s"),
    }
}

/// A bound of microseconds to a second or so: `65µs`, `1.2ms`, `0.35s`.
#[must_use]
pub fn tiny(s: f64) -> String {
    if s < 1e-3 { format!("{:.0}µs", s * 1e6) } else { fine(s) }
}

/// Seconds in a table's cell, five characters up to 99,999 s: `3.60s`,
/// `12.4s`, `123s`; so that the table of five modes keeps within 80
/// columns however long the runs.
#[must_use]
pub fn column(s: f64) -> String {
    match s {
        s if s < 9.995 => format!("{s:.2}s"),
        s if s < 99.95 => format!("{s:.1}s"),
        s => format!("{s:.0}s"),
    }
}

/// Two short times in one unit, the larger's: `0.40s` and `0.00s`, never
/// `0.40s` beside `0.0ms`.
#[must_use]
pub fn alike(a: f64, b: f64) -> (String, String) {
    let larger = a.max(b);
    (in_unit_of(larger, a), in_unit_of(larger, b))
}

/// An option's value as a person writes it: `800ms`, `1s 500ms`, `1h`.
#[must_use]
pub fn given(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// A time left, rounded to the second, or to the minute past an hour.
#[must_use]
pub fn rough(time: Duration) -> String {
    let seconds = time.as_secs_f64().round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // positive, and far below u64::MAX
    let seconds = if seconds >= 3600.0 { (seconds / 60.0).round() as u64 * 60 } else { seconds as u64 };
    given(Duration::from_secs(seconds))
}

/// A picture's label: whole milliseconds under a second, else seconds with
/// at most two decimals, a space before the unit.
#[must_use]
pub fn spaced(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{} s", format!("{s:.2}").trim_end_matches('0').trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_style_reads_as_its_place_needs() {
        assert_eq!(secs(0.4), "0.40s");
        assert_eq!(secs(9.999), "10.00s");
        assert_eq!(secs(12.34), "12.3s");
        assert_eq!(fine(0.0004), "0.4ms");
        assert_eq!(fine(0.012), "12ms");
        assert_eq!(fine(0.25), "0.25s");
        assert_eq!(tiny(0.000_065), "65µs");
        assert_eq!(tiny(0.0012), "1.2ms");
        assert_eq!(column(3.6), "3.60s");
        assert_eq!(column(12.345), "12.3s");
        assert_eq!(column(123.4), "123s");
        assert_eq!(column(0.0), "0.00s");
        assert_eq!(alike(0.4, 0.0005), ("0.40s".to_owned(), "0.00s".to_owned()));
        assert_eq!(given(Duration::from_millis(800)), "800ms");
        assert_eq!(given(Duration::from_millis(1500)), "1s 500ms");
        assert_eq!(rough(Duration::from_millis(61_400)), "1m 1s");
        assert_eq!(rough(Duration::from_secs(3 * 3600 + 125)), "3h 2m");
        assert_eq!(spaced(0.5), "500 ms");
        assert_eq!(spaced(1.5), "1.5 s");
        assert_eq!(spaced(2.0), "2 s");
    }
}
