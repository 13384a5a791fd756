//! The UI's model: a simulation plus everything needed to replay it. Knows nothing of Yew.
//!
//! A [`Lab`] owns the scenario it started from, the commands the person has applied since (each
//! stamped with the simulated time it was applied at) and the live [`Sim`]. Because the engine is
//! deterministic, `scenario + commands + seed` is the whole state: export, URL sharing and
//! rewinding all rebuild from it.

use grouplab_engine::{Command, Scenario, Sim, SimError, TimedCommand, View};

/// Simulated milliseconds per "Advance" click in the toolbar.
pub const ADVANCE_STEP_MS: u64 = 1_000;

/// Upper bound on the playback speed (simulated ms per real ms).
pub const MAX_SPEED: f64 = 1_000.0;
/// Lower bound on the playback speed.
pub const MIN_SPEED: f64 = 0.1;

pub struct Lab {
    pub scenario: Scenario,
    /// Commands applied by the person after the scenario's own, in order.
    pub applied: Vec<TimedCommand>,
    pub sim: Sim,
    pub playing: bool,
    /// Simulated ms per real ms.
    pub speed: f64,
    /// Last error shown to the person (a rejected command, a bad file).
    pub error: Option<String>,
}

impl Lab {
    /// Builds a lab by running the scenario's commands at their times.
    pub fn new(scenario: Scenario) -> Result<Lab, SimError> {
        let sim = replay(&scenario, &[])?;
        Ok(Lab { scenario, applied: Vec::new(), sim, playing: false, speed: 10.0, error: None })
    }

    pub fn now_ms(&self) -> u64 {
        self.sim.now_ms()
    }

    pub fn view(&self) -> View {
        self.sim.view()
    }

    /// Applies a command now. On error nothing changes and the message is kept for display.
    pub fn apply(&mut self, command: Command) -> Result<(), String> {
        let at_ms = self.sim.now_ms();
        match self.sim.apply(command.clone()) {
            Ok(()) => {
                self.applied.push(TimedCommand { at_ms, command });
                self.error = None;
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                self.error = Some(message.clone());
                Err(message)
            }
        }
    }

    /// Moves simulated time forward by `delta_ms`, processing every due event.
    pub fn advance_by(&mut self, delta_ms: u64) {
        let target = self.sim.now_ms().saturating_add(delta_ms);
        self.sim.advance_to(target);
        self.drain_events();
    }

    /// Jumps to the next scheduled event, if any.
    pub fn step(&mut self) {
        self.sim.step();
        self.drain_events();
    }

    fn drain_events(&mut self) {
        // Events are rendered by the event log later; here they are only drained (bounded).
        for _ in 0..100_000 {
            if self.sim.poll_event().is_none() {
                break;
            }
        }
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }
}

/// Rebuilds a simulation from a scenario and the commands applied after it.
pub fn replay(scenario: &Scenario, applied: &[TimedCommand]) -> Result<Sim, SimError> {
    let mut sim = Sim::new(scenario.config.clone())?;
    for tc in scenario.commands.iter().chain(applied) {
        if tc.at_ms > sim.now_ms() {
            sim.advance_to(tc.at_ms);
        }
        sim.apply(tc.command.clone())?;
    }
    while sim.poll_event().is_some() {}
    Ok(sim)
}

/// The scenario a fresh page starts with: three brokers, a topic `orders` with six partitions,
/// and a consumer group `my-group` subscribed to it, without consumers yet.
pub fn default_scenario() -> Scenario {
    let json = include_str!("../static/scenarios/playground.json");
    serde_json::from_str(json).expect("the bundled playground scenario is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumers(lab: &Lab) -> usize {
        lab.view().groups.iter().map(|g| g.members.len()).sum()
    }

    #[test]
    fn default_scenario_builds_a_six_partition_topic() {
        let lab = Lab::new(default_scenario()).unwrap();
        let view = lab.view();
        let orders = view.topics.iter().find(|t| t.name == "orders").expect("orders topic");
        assert_eq!(orders.partitions.len(), 6);
        assert_eq!(consumers(&lab), 0);
    }

    #[test]
    fn a_rejected_command_changes_nothing_and_keeps_the_message() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        let before = lab.sim.state_hash();
        let bad = serde_json::from_value::<Command>(serde_json::json!({
            "type": "create_topic", "name": "bad name!", "partitions": 3, "replication_factor": 1
        }))
        .unwrap();
        assert!(lab.apply(bad).is_err());
        assert_eq!(lab.sim.state_hash(), before);
        assert!(lab.error.as_deref().unwrap_or("").contains("bad name!"));
        assert!(lab.applied.is_empty());
    }

    #[test]
    fn replaying_the_applied_commands_reproduces_the_state() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        for _ in 0..3 {
            lab.apply(add_consumer("my-group")).unwrap();
            lab.advance_by(2_500);
        }
        let again = replay(&lab.scenario, &lab.applied).unwrap();
        let mut again = again;
        again.advance_to(lab.now_ms());
        assert_eq!(again.state_hash(), lab.sim.state_hash());
    }

    #[test]
    fn speed_is_clamped() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.set_speed(1e9);
        assert_eq!(lab.speed, MAX_SPEED);
        lab.set_speed(0.0);
        assert_eq!(lab.speed, MIN_SPEED);
    }

    pub(crate) fn add_consumer(group: &str) -> Command {
        crate::actions::add_consumer(group)
    }
}
