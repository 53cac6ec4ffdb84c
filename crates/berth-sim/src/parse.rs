//! Parsers for the `berth sim nodes` flags, so the CLI stays a thin layer over [`crate::Config`]:
//! `--label k=v`, `--taint k=v:Effect`, durations such as `1s` or `1m30s`, and fractions.

use std::time::Duration;

use k8s_openapi::api::core::v1::Taint;

use crate::Error;

/// `key=value` (the value may be empty) → the pair.
pub fn parse_label(text: &str) -> Result<(String, String), Error> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| Error::Parse(format!("label {text:?}: want key=value")))?;
    check_key(key).map_err(|why| Error::Parse(format!("label {text:?}: {why}")))?;
    if value.len() > 63 || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(Error::Parse(format!("label {text:?}: invalid value")));
    }
    Ok((key.to_owned(), value.to_owned()))
}

/// `key=value:Effect` or `key:Effect`, Effect one of NoSchedule, PreferNoSchedule, NoExecute.
pub fn parse_taint(text: &str) -> Result<Taint, Error> {
    let bad = |why: &str| Error::Parse(format!("taint {text:?}: {why}"));
    let (pair, effect) = text.rsplit_once(':').ok_or_else(|| bad("want key=value:Effect"))?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(bad("effect must be NoSchedule, PreferNoSchedule or NoExecute"));
    }
    let (key, value) = match pair.split_once('=') {
        Some((key, value)) => (key, Some(value.to_owned())),
        None => (pair, None),
    };
    check_key(key).map_err(bad)?;
    Ok(Taint { key: key.to_owned(), value, effect: effect.to_owned(), time_added: None })
}

/// A label or taint key: an optional DNS prefix and `/`, then a name of at most 63 characters.
fn check_key(key: &str) -> Result<(), &'static str> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty() || prefix.len() > 253 {
                return Err("invalid key prefix");
            }
            name
        }
        None => key,
    };
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid { Ok(()) } else { Err("invalid key") }
}

/// A duration as Go writes them: `0`, `1s`, `500ms`, `1.5s`, `2m`, `1h30m` (units ns, us, µs,
/// ms, s, m, h).
pub fn parse_duration(text: &str) -> Result<Duration, Error> {
    let bad = || Error::Parse(format!("duration {text:?}: want e.g. 500ms, 10s, 1m30s"));
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// A fraction between 0 and 1 (`0.1`).
pub fn parse_fraction(text: &str) -> Result<f64, Error> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(Error::Parse(format!("fraction {text:?}: want a number between 0 and 1"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        let cases = [
            ("zone=a", Some(("zone", "a"))),
            ("topology.kubernetes.io/zone=eu-1", Some(("topology.kubernetes.io/zone", "eu-1"))),
            ("empty=", Some(("empty", ""))),
            ("novalue", None),
            ("=v", None),
            ("k=has space", None),
            ("/k=v", None),
            ("-k=v", None),
        ];
        for (text, want) in cases {
            let got = parse_label(text).ok();
            let want = want.map(|(k, v)| (k.to_owned(), v.to_owned()));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn taints() {
        let cases = [
            ("gpu=true:NoSchedule", Some(("gpu", Some("true"), "NoSchedule"))),
            ("dedicated:NoExecute", Some(("dedicated", None, "NoExecute"))),
            (
                "example.com/k=v:PreferNoSchedule",
                Some(("example.com/k", Some("v"), "PreferNoSchedule")),
            ),
            ("gpu=true", None),
            ("gpu=true:Sometimes", None),
            (":NoSchedule", None),
        ];
        for (text, want) in cases {
            let got = parse_taint(text).ok().map(|t| (t.key, t.value, t.effect));
            let want = want.map(|(k, v, e)| (k.to_owned(), v.map(str::to_owned), e.to_owned()));
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        let cases = [
            ("0", Some(Duration::ZERO)),
            ("0s", Some(Duration::ZERO)),
            ("10s", Some(ms(10_000))),
            ("500ms", Some(ms(500))),
            ("1.5s", Some(ms(1500))),
            ("1m30s", Some(ms(90_000))),
            ("2h", Some(ms(7_200_000))),
            ("", None),
            ("10", None),
            ("s", None),
            ("1d", None),
            ("-1s", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text).ok(), want, "{text}");
        }
    }

    #[test]
    fn fractions() {
        let cases =
            [("0", Some(0.0)), ("0.25", Some(0.25)), ("1", Some(1.0)), ("1.1", None), ("x", None)];
        for (text, want) in cases {
            assert_eq!(parse_fraction(text).ok(), want, "{text}");
        }
    }
}
