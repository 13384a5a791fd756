//! `java.time.Duration.parse`, as Kafka's tools and configs read ISO-8601 durations
//! (`--by-duration`, `share.auto.offset.reset=by_duration:<duration>`).

/// `java.time.Duration.parse`: milliseconds of `[-]PnDTnHnMn.nS` (fractions of a second kept
/// to the millisecond), or `None` for text that is not one ("Text cannot be parsed to a
/// Duration").
pub fn parse_duration(input: &str) -> Option<i128> {
    let upper = input.to_ascii_uppercase();
    let (neg, rest) = match upper.as_bytes().first() {
        Some(b'-') => (true, &upper[1..]),
        Some(b'+') => (false, &upper[1..]),
        _ => (false, upper.as_str()),
    };
    let rest = rest.strip_prefix('P')?;
    let (day_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i128 = 0;
    let mut any = false;
    let num = |s: &str| -> Option<i128> {
        let (sign, body) = match s.as_bytes().first() {
            Some(b'-') => (-1, &s[1..]),
            Some(b'+') => (1, &s[1..]),
            _ => (1, s),
        };
        (!body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())).then(|| body.parse::<i128>().ok().map(|v| sign * v)).flatten()
    };
    // Overflow is not a Duration either (Java: "numeric overflow").
    let mut add = |v: i128, unit: i128| -> Option<()> {
        total = total.checked_add(v.checked_mul(unit)?)?;
        Some(())
    };
    if !day_part.is_empty() {
        let d = day_part.strip_suffix('D')?;
        add(num(d)?, 86_400_000)?;
        any = true;
    }
    if let Some(mut t) = time_part {
        if t.is_empty() {
            return None;
        }
        for (unit, ms) in [('H', 3_600_000i128), ('M', 60_000)] {
            if let Some(i) = t.find(unit) {
                add(num(&t[..i])?, ms)?;
                t = &t[i + 1..];
                any = true;
            }
        }
        if !t.is_empty() {
            let s = t.strip_suffix('S')?;
            let (whole, frac) = match s.split_once(['.', ',']) {
                Some((w, f)) => (w, f),
                None => (s, ""),
            };
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let w = num(whole)?;
            let frac_ms: i128 = format!("{frac:0<3}")[..3].parse().unwrap_or(0);
            let negative_whole = whole.starts_with('-');
            add(w, 1000)?;
            add(if negative_whole { -frac_ms } else { frac_ms }, 1)?;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if neg { total.checked_neg() } else { Some(total) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_java_time() {
        assert_eq!(parse_duration("PT5S"), Some(5_000));
        assert_eq!(parse_duration("P1DT2H3M4.5S"), Some(86_400_000 + 7_200_000 + 180_000 + 4_500));
        assert_eq!(parse_duration("pt10m"), Some(600_000));
        assert_eq!(parse_duration("-PT1S"), Some(-1_000));
        assert_eq!(parse_duration("P2D"), Some(172_800_000));
        for bad in ["", "P", "PT", "5S", "PT5", "P1H", "PTS"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(parse_duration(&format!("PT{}S", "9".repeat(38))), None, "overflow");
    }
}
