//! The one replay: a simulation driven through time by a script of timed commands (a
//! scenario's) and the commands applied after it (a person's, a learner's), in time order.
//!
//! Every caller moves time through [`Timeline::advance`]: [`crate::Scenario::run`] (the CLI and
//! the tests), lessons ([`crate::lesson::LessonRun`]) and the UI's timeline (rewinding restores a
//! snapshot of the simulation and the [`Cursor`], then advances again). The rule is the same
//! everywhere: every deadline due at or before a command's time fires first, then the command is
//! applied; on equal times scripted commands go first, each list in its own order.

use crate::api::command::Command;
use crate::api::event::Event;
use crate::kafka::error::SimError;
use crate::sim::Sim;

use serde::{Deserialize, Serialize};

/// A command to apply at simulated time `at_ms`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedCommand {
    /// When to apply it.
    pub at_ms: u64,
    /// What to apply.
    pub command: Command,
}

/// Where a replay stands in its two command lists (part of a UI snapshot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Scripted commands applied so far (in time order).
    pub script: usize,
    /// Applied commands replayed so far.
    pub applied: usize,
}

/// A command of the timeline the engine rejected.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    /// True for a scripted (scenario) command, false for an applied one.
    pub scripted: bool,
    /// Its index in the list it came from, as given (a scenario's `commands[i]`).
    pub index: usize,
    /// When it was applied.
    pub at_ms: u64,
    /// Why.
    pub error: SimError,
}

/// What a replay tells its caller while it runs.
pub trait Observer {
    /// An engine event, in order.
    fn event(&mut self, event: Event);
    /// A command was rejected (nothing changed).
    fn rejected(&mut self, rejected: Rejected) {
        let _ = rejected;
    }
    /// Asked between engine steps (every few steps of one instant): false stops the advance
    /// there, at a consistent moment, to be resumed later.
    fn keep_going(&mut self, now_ms: u64) -> bool {
        let _ = now_ms;
        true
    }
}

/// An observer that keeps every event and rejection.
#[derive(Clone, Debug, Default)]
pub struct Collect {
    /// The events, in order.
    pub events: Vec<Event>,
    /// The rejected commands.
    pub rejected: Vec<Rejected>,
}

impl Observer for Collect {
    fn event(&mut self, event: Event) {
        self.events.push(event);
    }
    fn rejected(&mut self, rejected: Rejected) {
        self.rejected.push(rejected);
    }
}

/// Most engine steps between two `keep_going` questions.
const STEPS_PER_QUESTION: u32 = 8;

/// The scripted and applied commands of one simulation and how far they were replayed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    script: Vec<TimedCommand>,
    /// Indexes of `script` in time order (stable).
    order: Vec<usize>,
    applied: Vec<TimedCommand>,
    cursor: Cursor,
}

impl Timeline {
    /// A timeline with these scripted commands (any order) and nothing applied yet.
    pub fn new(script: Vec<TimedCommand>) -> Timeline {
        let mut order: Vec<usize> = (0..script.len()).collect();
        crate::kernel::sort::sort_by_key(&mut order, |&i| script[i].at_ms);
        Timeline { script, order, applied: Vec::new(), cursor: Cursor::default() }
    }

    /// The scripted commands, as given.
    pub fn script(&self) -> &[TimedCommand] {
        &self.script
    }

    /// The applied commands, in time order (those past the cursor are still to be replayed).
    pub fn applied(&self) -> &[TimedCommand] {
        &self.applied
    }

    /// How far the commands were replayed.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// Moves back to `cursor` (with the simulation restored to the moment it was taken).
    pub fn rewind(&mut self, cursor: Cursor) {
        self.cursor = Cursor { script: cursor.script.min(self.script.len()), applied: cursor.applied.min(self.applied.len()) };
    }

    /// Sets the commands applied after the script (e.g. a saved file's), none replayed yet.
    pub fn set_applied(&mut self, applied: Vec<TimedCommand>) {
        self.applied = applied;
        self.cursor.applied = 0;
    }

    /// Whether some applied commands lie ahead of the cursor (the simulation is in the past).
    pub fn has_future(&self) -> bool {
        self.cursor.applied < self.applied.len()
    }

    /// Discards the applied commands not yet replayed (acting in the past forks the timeline).
    pub fn fork(&mut self) {
        self.applied.truncate(self.cursor.applied);
    }

    /// Applies `command` to `sim` now; on success it joins the applied commands (already
    /// replayed). On error nothing changed, in `sim` or here.
    pub fn apply(&mut self, sim: &mut Sim, command: Command) -> Result<(), SimError> {
        let at_ms = sim.now_ms();
        sim.apply(command.clone())?;
        self.fork();
        self.applied.push(TimedCommand { at_ms, command });
        self.cursor.applied = self.applied.len();
        Ok(())
    }

    /// Time of the next command to replay.
    pub fn next_command_ms(&self) -> Option<u64> {
        let a = self.order.get(self.cursor.script).map(|&i| self.script[i].at_ms);
        let b = self.applied.get(self.cursor.applied).map(|c| c.at_ms);
        [a, b].into_iter().flatten().min()
    }

    /// Replays every command due at or before `sim.now_ms()` (scripted first on equal times).
    /// Deadlines due by now fire before each one, so the timers a command sets for this very
    /// instant run before the next command of the same instant.
    pub fn apply_due(&mut self, sim: &mut Sim, observer: &mut dyn Observer) {
        while self.next_command_ms().is_some_and(|t| t <= sim.now_ms()) {
            while sim.next_deadline_ms().is_some_and(|d| d <= sim.now_ms()) {
                sim.step();
                drain(sim, observer);
            }
            self.apply_next(sim, observer);
        }
    }

    /// Applies the next command in time order (scripted first on equal times).
    fn apply_next(&mut self, sim: &mut Sim, observer: &mut dyn Observer) {
        let a = self.order.get(self.cursor.script).map(|&i| self.script[i].at_ms);
        let b = self.applied.get(self.cursor.applied).map(|c| c.at_ms);
        let scripted = match (a, b) {
            (None, None) => return,
            (Some(a), Some(b)) => a <= b,
            (a, _) => a.is_some(),
        };
        let (index, command) = if scripted {
            let i = self.order[self.cursor.script];
            self.cursor.script += 1;
            (i, self.script[i].command.clone())
        } else {
            self.cursor.applied += 1;
            (self.cursor.applied - 1, self.applied[self.cursor.applied - 1].command.clone())
        };
        let at_ms = sim.now_ms();
        if let Err(error) = sim.apply(command) {
            observer.rejected(Rejected { scripted, index, at_ms, error });
        }
        drain(sim, observer);
    }

    /// Moves `sim` to `until_ms` (never back): deadline by deadline, replaying each command at
    /// its time, handing every event to `observer`. Returns false when the observer stopped it
    /// early (the simulation is then at a consistent moment before `until_ms`).
    pub fn advance(&mut self, sim: &mut Sim, until_ms: u64, observer: &mut dyn Observer) -> bool {
        loop {
            let stop = self.next_command_ms().map_or(until_ms, |c| c.min(until_ms));
            let mut steps = 0u32;
            while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= stop) {
                steps += 1;
                if steps.is_multiple_of(STEPS_PER_QUESTION) && d > sim.now_ms() && !observer.keep_going(sim.now_ms()) {
                    return false;
                }
                sim.step();
                drain(sim, observer);
            }
            sim.advance_to(stop);
            drain(sim, observer);
            self.apply_due(sim, observer);
            if stop >= until_ms {
                return true;
            }
            if !observer.keep_going(sim.now_ms()) {
                return false;
            }
        }
    }
}

/// Hands every queued event to the observer.
fn drain(sim: &mut Sim, observer: &mut dyn Observer) {
    while let Some(e) = sim.poll_event() {
        observer.event(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimConfig;

    fn crash(broker: u32) -> Command {
        Command::CrashBroker { broker }
    }

    #[test]
    fn commands_replay_in_time_order_scripted_first_and_rejections_are_named() {
        let script = vec![TimedCommand { at_ms: 500, command: crash(1) }, TimedCommand { at_ms: 100, command: crash(9) }];
        let mut t = Timeline::new(script);
        let mut sim = Sim::new(SimConfig::default()).unwrap();
        let mut seen = Collect::default();
        assert!(t.advance(&mut sim, 200, &mut seen));
        assert_eq!(sim.now_ms(), 200);
        assert_eq!(seen.rejected.len(), 1);
        assert_eq!((seen.rejected[0].scripted, seen.rejected[0].index, seen.rejected[0].at_ms), (true, 1, 100));
        assert_eq!(t.next_command_ms(), Some(500));
        t.apply(&mut sim, crash(0)).unwrap();
        assert!(t.apply(&mut sim, crash(0)).is_err(), "a broker already down");
        assert_eq!(t.applied().len(), 1);
        assert!(t.advance(&mut sim, 1_000, &mut seen));
        assert_eq!(t.cursor(), Cursor { script: 2, applied: 1 });
        assert!(seen.events.iter().any(|e| e.at_ms == 500 && e.to_string().contains("BROKER-DOWN b=1")));
    }

    #[test]
    fn an_observer_can_stop_and_the_advance_resumes_on_the_same_states() {
        struct Budget(u32, Vec<Event>);
        impl Observer for Budget {
            fn event(&mut self, e: Event) {
                self.1.push(e);
            }
            fn keep_going(&mut self, _: u64) -> bool {
                self.0 = self.0.saturating_sub(1);
                self.0 > 0
            }
        }
        let topic = Command::CreateTopic { name: "t".into(), partitions: 3, replication_factor: 3, config: Default::default() };
        let producer = Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 100, keys: Default::default(), acks: Default::default(), config: Default::default() };
        let script = vec![TimedCommand { at_ms: 0, command: topic }, TimedCommand { at_ms: 10, command: producer }];
        let mut whole = (Timeline::new(script.clone()), Sim::new(SimConfig::default()).unwrap());
        whole.0.advance(&mut whole.1, 60_000, &mut Collect::default());
        let mut parts = (Timeline::new(script), Sim::new(SimConfig::default()).unwrap());
        let mut stops = 0;
        while !parts.0.advance(&mut parts.1, 60_000, &mut Budget(3, Vec::new())) {
            stops += 1;
            assert!(stops < 100_000);
        }
        assert!(stops > 0, "the budget stopped it");
        assert_eq!(parts.1.state_hash(), whole.1.state_hash());
    }
}
