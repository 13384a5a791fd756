//! Scenario files: a config plus timed commands, run headless by `grouplab run` or loaded by the UI.

use serde::{Deserialize, Serialize};

use crate::kafka::error::SimError;
use crate::api::event::Event;
use crate::sim::{Sim, SimConfig};

pub use super::timeline::TimedCommand;
use super::timeline::{Observer, Rejected, Timeline};

/// A reproducible experiment. Unknown fields are refused (here and in the configs), so a
/// misspelt key is an error rather than silently ignored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Simulation config (seed, brokers, ...).
    #[serde(default)]
    pub config: SimConfig,
    /// Commands, applied in `at_ms` order (stable for equal times).
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
    /// Run until this time after the last command (default: the last command's time).
    #[serde(default)]
    pub run_until_ms: Option<u64>,
}

/// Outcome of [`Scenario::run`].
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    /// The simulation in its final state.
    pub sim: Sim,
    /// Every event, in order.
    pub events: Vec<Event>,
    /// Commands that were rejected: (index in `commands`, error).
    pub rejected: Vec<(usize, SimError)>,
}

impl Scenario {
    /// Parse from JSON. Times past the horizon ([`super::bounds::MAX_HORIZON_MS`]) are refused,
    /// naming the field.
    pub fn from_json(s: &str) -> Result<Scenario, String> {
        let scenario: Scenario = serde_json::from_str(s).map_err(|e| format!("invalid scenario JSON: {e}"))?;
        check_scenario_times(&scenario.commands, scenario.run_until_ms).map_err(|e| format!("invalid scenario: {e}"))?;
        Ok(scenario)
    }

    /// Run headless: advance to each command's time, apply it (rejections are collected, not
    /// fatal), then advance to `run_until_ms`. A time past the horizon
    /// ([`super::bounds::MAX_HORIZON_MS`]) is refused with [`SimError::LimitExceeded`].
    pub fn run(&self) -> Result<ScenarioRun, SimError> {
        self.run_with_progress(&mut |_, _| {})
    }

    /// [`Scenario::run`], calling `progress(now_ms, end_ms)` after every processed deadline
    /// (`end_ms` is when the run will end). The engine reads no clock: the caller decides
    /// whether and when to report (the CLI does after a few seconds of wall time).
    pub fn run_with_progress(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<ScenarioRun, SimError> {
        let mut events = Vec::new();
        let (sim, rejected) = self.run_streaming(progress, &mut |e| events.push(e))?;
        Ok(ScenarioRun { sim, events, rejected })
    }

    /// Like [`Self::run_with_progress`], handing each event to `on_event` as it happens
    /// instead of keeping them all (a long run's trace need not fit in memory): the final
    /// simulation and the rejected commands.
    pub fn run_streaming(&self, progress: &mut dyn FnMut(u64, u64), on_event: &mut dyn FnMut(Event)) -> Result<(Sim, Vec<(usize, SimError)>), SimError> {
        check_scenario_times(&self.commands, self.run_until_ms).map_err(SimError::LimitExceeded)?;
        let end_ms = scenario_end_ms(&self.commands, self.run_until_ms);
        let mut sim = Sim::new(self.config.clone())?;
        let mut timeline = Timeline::new(self.commands.clone());
        struct Run<'a> {
            rejected: Vec<Rejected>,
            on_event: &'a mut dyn FnMut(Event),
            progress: &'a mut dyn FnMut(u64, u64),
            end_ms: u64,
        }
        impl Observer for Run<'_> {
            fn event(&mut self, event: Event) {
                (self.on_event)(event);
            }
            fn rejected(&mut self, rejected: Rejected) {
                self.rejected.push(rejected);
            }
            fn keep_going(&mut self, now_ms: u64) -> bool {
                (self.progress)(now_ms, self.end_ms);
                true
            }
        }
        let mut run = Run { rejected: Vec::new(), on_event, progress, end_ms };
        timeline.advance(&mut sim, end_ms, &mut run);
        (run.progress)(sim.now_ms(), end_ms);
        let rejected = run.rejected.into_iter().map(|r| (r.index, r.error)).collect();
        Ok((sim, rejected))
    }
}

/// Checks every command's `at_ms` (named `commands[i].at_ms`) and `run_until_ms`.
pub fn check_scenario_times(commands: &[TimedCommand], run_until_ms: Option<u64>) -> Result<(), String> {
    for (i, tc) in commands.iter().enumerate() {
        super::bounds::check_horizon(&format!("commands[{i}].at_ms"), tc.at_ms)?;
    }
    if let Some(end) = run_until_ms {
        super::bounds::check_horizon("run_until_ms", end)?;
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
    use super::super::bounds::MAX_HORIZON_MS;

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
