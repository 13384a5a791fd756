//! How far a file may send simulated time: the horizon.
//!
//! The engine's caps ([`crate::cluster::limits`]) bound sizes; nothing bounded time, so a mutated
//! file with `"run_until_ms": 9223372036854775808` or a command at 49 simulated days ran for
//! hours. Every time a scenario or lesson file asks the simulation to reach is checked against
//! [`MAX_HORIZON_MS`] when the file is parsed ([`crate::Scenario::from_json`],
//! `Lesson::from_json`, whose step waits the lesson layer checks against the same horizon), and again when a run starts (for scenarios and lessons
//! built in code). The error names the field and its value.

use super::scenario::TimedCommand;

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

/// Checks every command's `at_ms` (named `commands[i].at_ms`) and `run_until_ms`.
pub fn check_scenario_times(commands: &[TimedCommand], run_until_ms: Option<u64>) -> Result<(), String> {
    for (i, tc) in commands.iter().enumerate() {
        check_horizon(&format!("commands[{i}].at_ms"), tc.at_ms)?;
    }
    if let Some(end) = run_until_ms {
        check_horizon("run_until_ms", end)?;
    }
    Ok(())
}

/// Simulated time at which a scenario run ends: its last command or `run_until_ms`, whichever
/// is later (as [`crate::Scenario::run`] plays it).
pub fn scenario_end_ms(commands: &[TimedCommand], run_until_ms: Option<u64>) -> u64 {
    commands.iter().map(|tc| tc.at_ms).chain(run_until_ms).max().unwrap_or(0)
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

    #[test]
    fn scenario_end_is_the_latest_time() {
        let tc = |at_ms| TimedCommand {
            at_ms,
            command: crate::Command::CrashBroker { broker: 0 },
        };
        assert_eq!(scenario_end_ms(&[], None), 0);
        assert_eq!(scenario_end_ms(&[tc(5), tc(3)], Some(4)), 5);
        assert_eq!(scenario_end_ms(&[tc(5)], Some(40)), 40);
        assert!(check_scenario_times(&[tc(5), tc(MAX_HORIZON_MS + 1)], None)
            .unwrap_err()
            .starts_with("commands[1].at_ms: "));
        assert!(check_scenario_times(&[tc(5)], Some(u64::MAX))
            .unwrap_err()
            .starts_with("run_until_ms: 18446744073709551615 ms"));
    }
}
