//! Dates and durations the tools read and print. Simulated time 0 is the Unix epoch
//! (1970-01-01T00:00:00Z), so simulated milliseconds are epoch milliseconds.
//!
//! * [`parse_datetime`]: Kafka's `Utils.getDateTime` (`--to-datetime`): `yyyy-MM-dd'T'HH:mm:ss.SSS`
//!   then a zone `Z`, `±hh:mm`, `±hhmm` or `±hh` (`SimpleDateFormat` patterns `XXX` / `X`, not
//!   lenient); without a zone the time is UTC.
//! * [`parse_duration`] (from `kafka::duration`): `java.time.Duration.parse` (`--by-duration`): `PnDTnHnMn.nS`, signs
//!   allowed on each number and on the whole.
//! * [`log4j_date`]: the `%d` of Kafka's tools logging (`yyyy-MM-dd HH:mm:ss,SSS`), in UTC.

/// Days from 1970-01-01 to `y-m-d` (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A fixed-width run of ASCII digits.
fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// Why a `--to-datetime` value was refused: the `ParseException` Kafka's tool reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(pub String);

/// `Utils.getDateTime`: epoch milliseconds of `yyyy-MM-ddTHH:mm:ss.SSS[zone]`.
pub fn parse_datetime(input: &str) -> Result<i64, DateError> {
    let Some((_, time_part)) = input.split_once('T').filter(|(_, t)| !t.is_empty()) else {
        return Err(DateError("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format".into()));
    };
    let with_zone = if time_part.contains(['+', '-', 'Z']) { input.to_string() } else { format!("{input}Z") };
    let unparseable = || DateError(format!("Unparseable date: \"{with_zone}\""));
    let s = with_zone.as_str();
    // yyyy-MM-dd'T'HH:mm:ss.SSS = 23 characters, then the zone.
    if s.len() < 24 || !s.is_char_boundary(23) {
        return Err(unparseable());
    }
    let (dt, zone) = s.split_at(23);
    let b = dt.as_bytes();
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'.' {
        return Err(unparseable());
    }
    let field = |a: usize, z: usize| digits(&dt[a..z]);
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec), Some(ms)) =
        (field(0, 4), field(5, 7), field(8, 10), field(11, 13), field(14, 16), field(17, 19), field(20, 23))
    else {
        return Err(unparseable());
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59 {
        return Err(unparseable());
    }
    let offset_min = match zone {
        "Z" => 0,
        z if z.len() >= 3 && z.is_ascii() && (z.starts_with('+') || z.starts_with('-')) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = &z[1..];
            let (hh, mm) = match body.len() {
                2 => (digits(body), Some(0)),
                4 => (digits(&body[..2]), digits(&body[2..])),
                5 if body.as_bytes()[2] == b':' => (digits(&body[..2]), digits(&body[3..])),
                _ => (None, None),
            };
            match (hh, mm) {
                (Some(hh), Some(mm)) if hh <= 23 && mm <= 59 => sign * (hh * 60 + mm),
                _ => return Err(unparseable()),
            }
        }
        _ => return Err(unparseable()),
    };
    let days = days_from_civil(y, mo, d);
    Ok((((days * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms - offset_min * 60_000)
}

pub use crate::kafka::duration::parse_duration;


/// `yyyy-MM-dd HH:mm:ss,SSS` of epoch milliseconds, in UTC (log4j's `%d`).
pub fn log4j_date(ms: u64) -> String {
    let ms = ms as i64;
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (mi, rem) = (rem / 60_000, rem % 60_000);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{:02},{:03}", rem / 1000, rem % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_and_parse_as_kafka_does() {
        assert!(parse_datetime("1970-01-01T00:00:00.000+aé0").is_err());
        assert_eq!(log4j_date(1_709_208_000_123), "2024-02-29 12:00:00,123");
        assert_eq!(log4j_date(0), "1970-01-01 00:00:00,000");
    }

    #[test]
    fn datetimes_follow_utils_get_date_time() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000"), Ok(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:10.500Z"), Ok(10_500));
        assert_eq!(parse_datetime("1970-01-01T01:00:00.000+01:00"), Ok(0));
        assert_eq!(parse_datetime("1970-01-01T00:00:00.000-0130"), Ok(5_400_000));
        assert_eq!(parse_datetime("2024-02-29T12:00:00.000"), Ok(1_709_208_000_000));
        assert!(parse_datetime("2023-02-29T12:00:00.000").is_err());
        assert_eq!(parse_datetime("1970-01-01").unwrap_err().0, "Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
        assert_eq!(parse_datetime("1970-01-01T00:00:00").unwrap_err().0, "Unparseable date: \"1970-01-01T00:00:00Z\"");
    }

}
