//! Kubernetes quantities ("250m", "1.5", "512Mi", "2G", "1e3") as integers: CPU in millicores,
//! everything else in whole units, both rounded up as the API does. The scheduler counts
//! requests with it and the volume binder compares capacities.

/// Splits "512Mi" into (512.0, 1024^2). Unknown suffixes give a multiplier of 0.
fn split(text: &str) -> (f64, f64) {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || ((*c == '-' || *c == '+') && *i == 0)))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(end);
    let Ok(value) = number.parse::<f64>() else { return (0.0, 0.0) };
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent => match exponent.strip_prefix(['e', 'E']).and_then(|e| e.parse::<i32>().ok()) {
            Some(e) => 10f64.powi(e),
            None => 0.0,
        },
    };
    (value, multiplier)
}

/// CPU in millicores: "250m" → 250, "1.5" → 1500.
pub fn parse_cpu_millis(text: &str) -> i64 {
    let (value, multiplier) = split(text);
    (value * multiplier * 1000.0).ceil() as i64
}

/// Bytes (or any whole-unit quantity): "1Gi" → 1073741824, "1k" → 1000.
pub fn parse_bytes(text: &str) -> i64 {
    let (value, multiplier) = split(text);
    (value * multiplier).ceil() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_every_notation() {
        let cases = [
            ("250m", 250, 1),
            ("1", 1000, 1),
            ("1.5", 1500, 2),
            ("2k", 2_000_000, 2000),
            ("1e3", 1_000_000, 1000),
            ("100n", 1, 1),
        ];
        for (text, millis, bytes) in cases {
            assert_eq!(parse_cpu_millis(text), millis, "{text}");
            assert_eq!(parse_bytes(text), bytes, "{text}");
        }
        assert_eq!(parse_bytes("512Mi"), 512 * 1024 * 1024);
        assert_eq!(parse_bytes("1Gi"), 1 << 30);
        assert_eq!(parse_bytes("4G"), 4_000_000_000);
        assert_eq!(parse_bytes("500M"), 500_000_000);
        assert_eq!(parse_bytes(" 2Ei "), 2 * 1024i64.pow(6));
        assert_eq!(parse_bytes("3E"), 3_000_000_000_000_000_000);
        assert_eq!(parse_bytes("100m"), 1, "a fraction of a byte rounds up");
        assert_eq!(parse_bytes("bogus"), 0);
        assert_eq!(parse_bytes("5Xi"), 0);
    }
}
