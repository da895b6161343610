//! The one duration format of every configuration (serde) and of `#[derive(Child)]`: a
//! whole number and a unit, `ms`, `s`, `m` or `h` (`"500ms"`, `"2s"`, `"10m"`, `"1h"`);
//! a shutdown also takes `"infinity"` and `"brutal_kill"`.
//!
//! A service's own configuration reads its durations the same way with
//! `#[serde(with = "actor_supervisor::duration")]`:
//!
//! ```
//! use std::time::Duration;
//!
//! #[derive(serde::Deserialize, serde::Serialize)]
//! struct Rooms {
//!     #[serde(with = "actor_supervisor::duration")]
//!     idle: Duration,
//! }
//!
//! let rooms: Rooms = serde_json::from_str(r#"{"idle": "90s"}"#).unwrap();
//! assert_eq!(rooms.idle, Duration::from_secs(90));
//! assert_eq!(serde_json::to_string(&rooms).unwrap(), r#"{"idle":"90s"}"#);
//! assert!(serde_json::from_str::<Rooms>(r#"{"idle": 90}"#).is_err());
//! ```

use std::fmt;
use std::time::Duration;

/// The forms a duration is written in, for error messages.
pub(crate) const FORMS: &str = r#"a duration such as "500ms", "2s", "10m" or "1h""#;

/// Reads `"500ms"`, `"2s"`, `"10m"`, `"1h"`; `None` for anything else (no sign, no space,
/// no fraction: `"1.5s"` is `"1500ms"`).
pub(crate) fn parse(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let millis = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => None,
    }?;
    Some(Duration::from_millis(millis))
}

/// Writes `d` in the largest unit that holds it exactly (whole milliseconds; a finer part
/// is dropped), so that [`parse`] reads back the same duration.
pub(crate) struct Display(pub(crate) Duration);

impl fmt::Display for Display {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
            if ms != 0 && ms % size == 0 {
                return write!(f, "{}{unit}", ms / size);
            }
        }
        write!(f, "{ms}ms")
    }
}

/// Writes a duration in the one format (for `#[serde(with = "actor_supervisor::duration")]`).
///
/// # Errors
///
/// The serializer's.
pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Display(*d))
}

/// Reads a duration in the one format (for `#[serde(with = "actor_supervisor::duration")]`).
///
/// # Errors
///
/// Anything but a string in the format, with the accepted forms named.
pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(FORMS)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Duration, E> {
            parse(s).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(s), &self))
        }
    }
    d.deserialize_str(Text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_unit_and_writes_the_largest_exact_one() {
        for (text, ms) in [
            ("500ms", 500),
            ("0ms", 0),
            ("2s", 2_000),
            ("10m", 600_000),
            ("1h", 3_600_000),
            ("1500ms", 1_500),
        ] {
            let d = parse(text).unwrap_or_else(|| panic!("{text} did not parse"));
            assert_eq!(d, Duration::from_millis(ms), "{text}");
            assert_eq!(parse(&Display(d).to_string()), Some(d), "{text} round trip");
        }
        assert_eq!(Display(Duration::from_millis(90_000)).to_string(), "90s");
        assert_eq!(Display(Duration::from_millis(7_200_000)).to_string(), "2h");
    }

    #[test]
    fn refuses_everything_else() {
        for text in [
            "",
            "5",
            "s",
            "ms",
            "-1s",
            "1.5s",
            " 1s",
            "1 s",
            "1S",
            "1d",
            "infinity",
            "99999999999999999999s",
            "18446744073709551615h",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
