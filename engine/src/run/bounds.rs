//! How far a file may send simulated time: the horizon.
//!
//! The engine's caps ([`crate::cluster::limits`]) bound sizes; nothing bounded time, so a mutated
//! file with `"run_until_ms": 9223372036854775808` or a command at 49 simulated days ran for
//! hours. Every time a scenario or lesson file asks the simulation to reach is checked against
//! [`MAX_HORIZON_MS`] when the file is parsed ([`crate::Scenario::from_json`],
//! `Lesson::from_json`, whose step waits the lesson layer checks against the same horizon), and again when a run starts (for scenarios and lessons
//! built in code). The error names the field and its value.


/// The farthest simulated time a scenario or lesson may reach: one simulated week.
pub const MAX_HORIZON_MS: u64 = 7 * 24 * 3_600_000;

/// `Err` naming `field` when the time `ms` lies past [`MAX_HORIZON_MS`].
pub fn check_horizon(field: &str, ms: u64) -> Result<(), String> {
    if ms > MAX_HORIZON_MS {
        return Err(format!(
            "{field}: {ms} ms is beyond the simulation's horizon of {MAX_HORIZON_MS} ms (one week)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizon_is_one_week_and_inclusive() {
        assert_eq!(MAX_HORIZON_MS, 604_800_000);
        assert!(check_horizon("x", MAX_HORIZON_MS).is_ok());
        assert_eq!(
            check_horizon("commands[3].at_ms", 4_233_600_000).unwrap_err(),
            "commands[3].at_ms: 4233600000 ms is beyond the simulation's horizon of 604800000 ms (one week)"
        );
    }
}
