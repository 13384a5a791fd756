//! The UI's model: a simulation plus everything needed to replay it. Knows nothing of Yew.
//!
//! A [`Lab`] owns the scenario it started from, the commands the person has applied since (each
//! stamped with the simulated time it was applied at) and the live [`Sim`]. Because the engine is
//! deterministic, `scenario + commands + seed` is the whole state: export, URL sharing and
//! rewinding all rebuild from it.
//!
//! ## Time travel (as in RaftScope)
//! The scenario's commands and the person's commands form one *script* ordered by time. Moving
//! forward applies each scripted command when its time comes. Seeking back restores the latest
//! periodic snapshot (`Sim: Clone`) at or before the target and replays the script from there,
//! so the same future happens again. Applying a command while looking at the past *forks* the
//! timeline: the person's later commands are discarded (the scenario's own stay, they are the
//! lesson's script).
//!
//! The model also keeps the last [`EVENT_LOG_CAPACITY`] engine events (for the event log) and
//! chart samples at a bounded rate (see [`Sample`]).

use std::cell::OnceCell;
use std::collections::VecDeque;

use grouplab_engine::run::timeline::{Cursor, Observer, Rejected, Timeline};
use grouplab_engine::{Command, Event, Scenario, Sim, SimError, TimedCommand, View};
use serde::{Deserialize, Serialize};

/// Simulated milliseconds per "Advance" click in the toolbar.
pub const ADVANCE_STEP_MS: u64 = 1_000;

/// Upper bound on the playback speed (simulated ms per real ms).
pub const MAX_SPEED: f64 = 1_000.0;
/// Lower bound on the playback speed.
pub const MIN_SPEED: f64 = 0.1;
/// Engine events kept for the event log (oldest dropped).
pub const EVENT_LOG_CAPACITY: usize = 2_000;
/// First interval between two snapshots (simulated ms); doubles when [`MAX_SNAPSHOTS`] is hit.
pub const SNAPSHOT_INTERVAL_MS: u64 = 5_000;
/// Snapshots kept at most.
pub const MAX_SNAPSHOTS: usize = 48;
/// Records the live simulation may hold (all replicas) before play pauses by itself: about
/// 40–120 bytes each, so a few hundred MB to a GB — past that a browser tab may be killed.
pub const MAX_LIVE_RECORDS: u64 = 8_000_000;

/// Weight all snapshots together may have (see [`snapshot_weight`]; ≈ 40 bytes per unit): a big
/// simulation thins its snapshots (doubling the interval) before memory grows past a few hundred MB.
pub const MAX_SNAPSHOT_WEIGHT: u64 = 5_000_000;
/// A snapshot heavier than this doubles the interval to the next one (up to
/// [`MAX_ADAPTIVE_SNAPSHOT_INTERVAL_MS`]): cloning a 1,000-partition simulation takes a frame or
/// more, so it should not happen every 5 simulated seconds.
pub const HEAVY_SNAPSHOT_WEIGHT: u64 = 200_000;
/// Longest interval the weight of single snapshots may push the interval to (a rewind replays at
/// most this much simulated time, plus thinning for memory).
pub const MAX_ADAPTIVE_SNAPSHOT_INTERVAL_MS: u64 = 40_000;

/// How expensive a copy of `sim` is, in record equivalents: the memory of its logs plus a share
/// per replica (each replica is a log with its own buffers and indexes). A log's full chunks are
/// shared (by followers with their leader, by snapshots with the live simulation and with each
/// other), each holder counting a share, so the weights of all holders add up to the memory the
/// records really take: a snapshot that shares its records with the live simulation weighs little.
pub fn snapshot_weight(sim: &Sim) -> u64 {
    let records = sim.cluster().log_heap_bytes() / std::mem::size_of::<grouplab_engine::cluster::Record>();
    records as u64 + 100 * sim.replica_count()
}
/// First interval between two chart samples (simulated ms); doubles when [`MAX_SAMPLES`] is hit.
pub const SAMPLE_INTERVAL_MS: u64 = 1_000;
/// Chart samples kept at most.
pub const MAX_SAMPLES: usize = 400;
/// Longest simulated time an import or shared link may ask to replay to (6 hours).
pub const MAX_IMPORT_TIME_MS: u64 = 6 * 3_600_000;
/// Most person-applied commands an import may carry.
pub const MAX_IMPORT_COMMANDS: usize = 100_000;

/// One engine event in the log, with a sequence number and lazily extracted filter fields.
#[derive(Clone, Debug)]
pub struct LoggedEvent {
    /// Position of the event in the whole run (0 = first event ever).
    pub seq: u64,
    /// The engine event.
    pub event: Event,
    meta: OnceCell<EventMeta>,
}

/// What the event log filters on, extracted from an event's serde shape.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventMeta {
    /// Kind, as the engine spells it (`high_watermark`, `member_joined`, ...).
    pub kind: String,
    /// `group.id`, when the event concerns a group.
    pub group: Option<String>,
    /// Member id or client id, when the event concerns a consumer.
    pub member: Vec<String>,
    /// `topic-partition`, when the event concerns a partition.
    pub partition: Option<String>,
    /// Several partitions (assigned / revoked).
    pub partitions: Vec<String>,
    /// Broker id, when the event concerns a broker.
    pub broker: Option<u64>,
}

impl LoggedEvent {
    fn new(seq: u64, event: Event) -> Self {
        LoggedEvent { seq, event, meta: OnceCell::new() }
    }

    /// Filter fields (computed once).
    pub fn meta(&self) -> &EventMeta {
        self.meta.get_or_init(|| event_meta(&self.event))
    }
}

/// Extracts the filter fields of an event from its JSON (every event, cluster or group, is
/// `{"at_ms", "type", fields...}` with the same field names for the same things): `type`,
/// `group_id`, the member (`member_id`, `client_id`, `producer`), the partition (`topic` +
/// `partition`, or `tp`), several partitions (`partitions`, `owned`, `assignment`) and the broker
/// (`broker`, `broker_id`, a numeric `leader`).
pub fn event_meta(event: &Event) -> EventMeta {
    use serde_json::Value;
    let Ok(Value::Object(j)) = serde_json::to_value(event) else { return EventMeta::default() };
    let text = |k: &str| j.get(k).and_then(Value::as_str).map(str::to_string);
    let tp = |v: &Value| Some(format!("{}-{}", v.get("topic")?.as_str()?, v.get("partition")?.as_u64()?));
    EventMeta {
        kind: text("type").unwrap_or_default(),
        group: text("group_id"),
        member: ["member_id", "client_id", "producer"].into_iter().filter_map(text).collect(),
        partition: tp(&Value::Object(j.clone())).or_else(|| j.get("tp").and_then(tp)),
        partitions: ["partitions", "owned", "assignment"]
            .iter()
            .filter_map(|k| j.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(tp)
            .collect(),
        broker: ["broker", "broker_id", "leader"].iter().find_map(|k| j.get(*k).and_then(Value::as_u64)),
    }
}

/// One chart sample: per group, lag and delivery counters at `at_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Simulated time.
    pub at_ms: u64,
    /// One entry per group, in `View::groups` order.
    pub groups: Vec<GroupSample>,
}

/// A group's numbers in one [`Sample`].
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSample {
    /// `group.id`.
    pub group_id: String,
    /// Σ over partitions of HW − committed offset (uncommitted partitions count from log start).
    pub lag: u64,
    /// Members in the group.
    pub members: u32,
    /// Records processed, repeats included.
    pub processed: u64,
    /// Extra processings of already processed records.
    pub duplicates: u64,
    /// Records skipped for good (below a committed offset, never processed).
    pub losses: u64,
    /// Lag (HW − committed) of the group's first [`SAMPLED_PARTITIONS`] partitions, in lag-table order.
    pub partition_lag: Vec<u64>,
    /// Lag in time: how long the group's oldest unconsumed record has waited (ms; 0 when caught up).
    pub max_lag_ms: u64,
}

/// Partitions per group whose lag is sampled (for the per-partition lag chart).
pub const SAMPLED_PARTITIONS: usize = 12;

#[derive(Clone)]
struct Snapshot {
    at_ms: u64,
    cursor: Cursor,
    event_seq: u64,
    sim: Sim,
}

/// How the lab hears its replay: events into the log ring, rejections as messages, and the
/// real-time budget of the frame.
struct LabObserver<'a> {
    events: &'a mut VecDeque<LoggedEvent>,
    next_seq: &'a mut u64,
    errors: &'a mut Vec<String>,
    keep_going: &'a mut dyn FnMut() -> bool,
    /// A fast-forward to the next rebalance: set once one starts, which stops the advance.
    rebalance_seen: Option<&'a mut bool>,
}

impl<'a> LabObserver<'a> {
    fn new(events: &'a mut VecDeque<LoggedEvent>, next_seq: &'a mut u64, errors: &'a mut Vec<String>, keep_going: &'a mut dyn FnMut() -> bool) -> Self {
        LabObserver { events, next_seq, errors, keep_going, rebalance_seen: None }
    }
}

/// A rebalance starts: a classic group prepares one, or a consumer-protocol group's epoch moves.
fn starts_rebalance(event: &Event) -> bool {
    use grouplab_engine::api::event::EventKind;
    use grouplab_engine::group::GroupEvent;
    matches!(event.kind, EventKind::Group(GroupEvent::RebalanceStarted { .. } | GroupEvent::GroupEpochBumped { .. }))
}

impl Observer for LabObserver<'_> {
    fn event(&mut self, event: Event) {
        if let Some(seen) = self.rebalance_seen.as_deref_mut() {
            *seen |= starts_rebalance(&event);
        }
        self.events.push_back(LoggedEvent::new(*self.next_seq, event));
        *self.next_seq += 1;
        if self.events.len() > EVENT_LOG_CAPACITY {
            self.events.pop_front();
        }
    }
    fn rejected(&mut self, r: Rejected) {
        let label = if r.scripted { "scenario command" } else { "command" };
        self.errors.push(format!("{label} #{} at {} ms: {}", r.index, r.at_ms, r.error));
    }
    fn keep_going(&mut self, _now_ms: u64) -> bool {
        !self.rebalance_seen.as_deref().is_some_and(|&seen| seen) && (self.keep_going)()
    }
}

/// Where a fast-forward stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastForwardTo {
    /// A simulated time.
    Time(u64),
    /// Just after the next rebalance of any group starts, looking at most
    /// [`NEXT_REBALANCE_SEARCH_MS`] ahead.
    NextRebalance,
}

/// How a fast-forward ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastForwardEnd {
    /// At the time asked.
    Reached,
    /// Just after a rebalance started.
    Rebalance,
    /// No rebalance started within [`NEXT_REBALANCE_SEARCH_MS`] (or before time stopped).
    NoRebalance,
    /// The person cancelled it.
    Cancelled,
}

/// How far ahead a fast-forward looks for the next rebalance.
pub const NEXT_REBALANCE_SEARCH_MS: u64 = 3_600_000;

/// A fast-forward under way: the engine runs as fast as it can, one slice (`state::FAST_FORWARD_SLICE_MS`) at a time,
/// from `from_ms` to at most `until_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastForward {
    pub to: FastForwardTo,
    pub from_ms: u64,
    pub until_ms: u64,
}

impl FastForward {
    /// Share of the way done at `now_ms`, 0 to 1.
    pub fn progress(&self, now_ms: u64) -> f64 {
        let span = self.until_ms.saturating_sub(self.from_ms);
        if span == 0 {
            return 1.0;
        }
        (now_ms.saturating_sub(self.from_ms) as f64 / span as f64).min(1.0)
    }
}

/// The simulation, its script and its history.
pub struct Lab {
    /// The scenario the lab started from (its commands are the script's base).
    pub scenario: Scenario,
    /// The live simulation.
    pub sim: Sim,
    /// Playing (the app's clock advances time).
    pub playing: bool,
    /// Simulated ms per real ms.
    pub speed: f64,
    /// Last error shown to the person (a rejected command, a bad file).
    pub error: Option<String>,
    /// Client id of the consumer the person selected (target of the `c` shortcut).
    pub selected: Option<String>,
    /// The rebalance drawn as a sequence diagram, if one is open.
    pub sequence: Option<SequenceWindow>,
    /// Latest simulated time reached on this timeline (the scrubber's end).
    pub horizon_ms: u64,
    /// Last events, oldest first.
    pub events: VecDeque<LoggedEvent>,
    /// Chart samples, oldest first.
    pub samples: Vec<Sample>,
    /// Speed actually reached while playing (simulated ms per real ms), measured by the UI over
    /// the last second; below `speed` when the simulation is too big for the asked speed.
    pub measured_speed: Option<f64>,
    /// The scenario's commands and the person's, replayed through the engine's one replay.
    timeline: Timeline,
    next_seq: u64,
    snapshots: Vec<Snapshot>,
    snapshot_interval_ms: u64,
    sample_interval_ms: u64,
    /// Scripted commands the engine rejected during the last replay (index, message).
    pub script_errors: Vec<String>,
    /// The engine's error for the last command the person applied, if it was rejected.
    pub rejected: Option<SimError>,
    /// A fast-forward under way.
    pub fast_forward: Option<FastForward>,
    /// How and when the last fast-forward ended (shown until the next one).
    pub fast_forward_end: Option<(FastForwardEnd, u64)>,
}

/// The whole simulation as a file: scenario + applied commands + seed (+ where the person was).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedLab {
    /// Always [`SAVED_FORMAT`].
    pub format: String,
    /// Always [`SAVED_VERSION`].
    pub version: u32,
    /// Seed of the engine's RNG (overrides `scenario.config.seed`).
    pub seed: u64,
    /// The scenario.
    pub scenario: Scenario,
    /// Commands the person applied, in time order.
    pub applied: Vec<TimedCommand>,
    /// Simulated time the person was at.
    pub now_ms: u64,
}

/// `format` of an exported file.
pub const SAVED_FORMAT: &str = "grouplab-simulation";
/// `version` of an exported file.
pub const SAVED_VERSION: u32 = 1;

/// A stretch of one group's protocol exchange (one rebalance) drawn as a sequence diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceWindow {
    pub group_id: String,
    pub from_ms: u64,
    pub until_ms: u64,
}

/// How far before a rebalance event a window starts when the log no longer has its start.
pub const SEQUENCE_LOOKBACK_MS: u64 = 10_000;
/// How long after the rebalance completed a window runs on (SyncGroup answers, first heartbeats).
pub const SEQUENCE_TAIL_MS: u64 = 200;
/// How long a consumer-protocol group's window runs after its group epoch moved: two of
/// `group.consumer.heartbeat.interval.ms` (5 s), plus the network.
pub const CONSUMER_RECONCILE_WINDOW_MS: u64 = 10_100;

impl Lab {
    /// The rebalance of `group_id` around `at_ms`: from the group's latest `rebalance_started`
    /// at or before `at_ms` (else [`SEQUENCE_LOOKBACK_MS`] before) to the first
    /// `rebalance_completed` after that, plus [`SEQUENCE_TAIL_MS`]; still open, until now.
    ///
    /// A consumer-protocol group (KIP-848) has no barrier to end a rebalance: its window runs
    /// from the group-epoch bump for [`CONSUMER_RECONCILE_WINDOW_MS`] (two heartbeat intervals,
    /// in which every member reconciles).
    pub fn rebalance_window(&self, group_id: &str, at_ms: u64) -> SequenceWindow {
        let of_group = |e: &&LoggedEvent, kinds: &[&str]| kinds.contains(&e.meta().kind.as_str()) && e.meta().group.as_deref() == Some(group_id);
        let start = self.events.iter().rev().filter(|e| e.event.at_ms <= at_ms).find(|e| starts_rebalance(&e.event) && e.meta().group.as_deref() == Some(group_id));
        let from_ms = start.map_or(at_ms.saturating_sub(SEQUENCE_LOOKBACK_MS), |e| e.event.at_ms);
        let until_ms = if start.is_some_and(|e| e.meta().kind == "group_epoch_bumped") {
            from_ms.saturating_add(CONSUMER_RECONCILE_WINDOW_MS).min(self.now_ms().max(at_ms))
        } else {
            self.events
                .iter()
                .filter(|e| e.event.at_ms >= from_ms)
                .find(|e| of_group(e, &["rebalance_completed"]))
                .map_or(self.now_ms(), |e| e.event.at_ms.saturating_add(SEQUENCE_TAIL_MS))
        };
        SequenceWindow { group_id: group_id.to_string(), from_ms, until_ms: until_ms.max(at_ms) }
    }

    /// Opens the sequence diagram of `window` (moving time to its end when it is in the past,
    /// so the engine's message history holds its exchange), or closes it.
    pub fn open_sequence(&mut self, window: Option<SequenceWindow>) {
        if let Some(w) = &window {
            if w.until_ms < self.now_ms() {
                self.seek(w.until_ms);
            }
        }
        self.sequence = window;
    }

    /// Builds a lab at time 0 with the scenario's commands due at time 0 applied.
    pub fn new(scenario: Scenario) -> Result<Lab, SimError> {
        grouplab_engine::run::scenario::check_scenario_times(&scenario.commands, scenario.run_until_ms).map_err(SimError::LimitExceeded)?;
        let sim = Sim::new(scenario.config.clone())?;
        let timeline = Timeline::new(scenario.commands.clone());
        let mut lab = Lab {
            scenario,
            sim,
            playing: false,
            speed: 10.0,
            error: None,
            selected: None,
            sequence: None,
            horizon_ms: 0,
            events: VecDeque::new(),
            samples: Vec::new(),
            measured_speed: None,
            timeline,
            next_seq: 0,
            snapshots: Vec::new(),
            snapshot_interval_ms: SNAPSHOT_INTERVAL_MS,
            sample_interval_ms: SAMPLE_INTERVAL_MS,
            script_errors: Vec::new(),
            rejected: None,
            fast_forward: None,
            fast_forward_end: None,
        };
        lab.advance_to(0);
        if let Some(first) = lab.script_errors.first() {
            lab.error = Some(format!("the scenario has a command the engine rejects: {first}"));
        }
        Ok(lab)
    }

    /// Rebuilds a lab from a saved file (already parsed), replaying to where it was.
    pub fn restore(saved: SavedLab) -> Result<Lab, String> {
        if saved.format != SAVED_FORMAT {
            return Err(format!("field `format` must be \"{SAVED_FORMAT}\" (got \"{}\")", saved.format));
        }
        if saved.version != SAVED_VERSION {
            return Err(format!("field `version` must be {SAVED_VERSION} (got {})", saved.version));
        }
        if saved.now_ms > MAX_IMPORT_TIME_MS {
            return Err(format!("field `now_ms` is {} ms, more than the {} ms GroupLab replays", saved.now_ms, MAX_IMPORT_TIME_MS));
        }
        if saved.applied.len() > MAX_IMPORT_COMMANDS {
            return Err(format!("field `applied` has {} commands, more than {}", saved.applied.len(), MAX_IMPORT_COMMANDS));
        }
        if let Some(i) = saved.applied.windows(2).position(|w| w[1].at_ms < w[0].at_ms) {
            return Err(format!("field `applied`: command #{} is earlier than the one before it", i + 1));
        }
        if let Some((i, c)) = saved.applied.iter().enumerate().find(|(_, c)| c.at_ms > saved.now_ms) {
            return Err(format!("field `applied`: command #{i} is at {} ms, after `now_ms` {}", c.at_ms, saved.now_ms));
        }
        let mut scenario = saved.scenario;
        scenario.config.seed = saved.seed;
        let mut lab = Lab::new(scenario).map_err(|e| format!("scenario rejected: {e}"))?;
        if !lab.script_errors.is_empty() {
            return Err(format!("scenario rejected: {}", lab.script_errors[0]));
        }
        lab.timeline.set_applied(saved.applied);
        lab.advance_to(saved.now_ms);
        if let Some(first) = lab.script_errors.first() {
            return Err(format!("replay failed: {first}"));
        }
        lab.error = None;
        Ok(lab)
    }

    /// The lab as a file.
    pub fn to_saved(&self) -> SavedLab {
        SavedLab {
            format: SAVED_FORMAT.to_string(),
            version: SAVED_VERSION,
            seed: self.scenario.config.seed,
            scenario: self.scenario.clone(),
            applied: self.timeline.applied()[..self.timeline.cursor().applied].to_vec(),
            now_ms: self.now_ms(),
        }
    }

    /// Current simulated time.
    pub fn now_ms(&self) -> u64 {
        self.sim.now_ms()
    }

    /// Plain-data view of the simulation now.
    pub fn view(&self) -> View {
        self.sim.view()
    }

    /// True when looking at the past of this timeline (acting now discards the future).
    pub fn in_past(&self) -> bool {
        self.now_ms() < self.horizon_ms || self.timeline.has_future()
    }

    /// The commands the person applied, in time order (some may lie ahead when in the past).
    pub fn applied(&self) -> &[TimedCommand] {
        self.timeline.applied()
    }

    /// Applies a command now (the engine's `apply` is atomic: on error nothing changes, and the
    /// error is kept in [`Lab::error`] and [`Lab::rejected`] for display). In the past, a
    /// successful command forks the timeline: the person's later commands go.
    pub fn apply(&mut self, command: Command) -> Result<(), String> {
        let in_past = self.in_past();
        match self.timeline.apply(&mut self.sim, command) {
            Ok(()) => {
                if in_past {
                    self.fork();
                }
                self.error = None;
                self.rejected = None;
                self.drain_events();
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                self.error = Some(message.clone());
                self.rejected = Some(e);
                Err(message)
            }
        }
    }

    /// Discards the future of the timeline (later snapshots and samples; the timeline dropped
    /// the commands not yet replayed).
    fn fork(&mut self) {
        let now = self.now_ms();
        self.snapshots.retain(|s| s.at_ms <= now);
        self.samples.retain(|s| s.at_ms <= now);
        self.horizon_ms = now;
    }

    /// Moves simulated time forward by `delta_ms`, processing every due event.
    pub fn advance_by(&mut self, delta_ms: u64) {
        let target = self.sim.now_ms().saturating_add(delta_ms);
        self.advance_to(target);
    }

    /// Moves time to `target_ms` (never back), replaying scripted commands at their times and
    /// taking snapshots and chart samples on the way.
    pub fn advance_to(&mut self, target_ms: u64) {
        self.advance_within(target_ms, &mut || true);
    }

    /// Like [`Lab::advance_to`], but stops early (at a consistent moment between two engine
    /// events) as soon as `keep_going` returns false — the UI passes a real-time budget so a big
    /// simulation never freezes the page; it then simply runs slower than asked.
    pub fn advance_within(&mut self, target_ms: u64, keep_going: &mut dyn FnMut() -> bool) {
        self.advance_observed(target_ms, keep_going, None);
    }

    /// [`Lab::advance_within`] that also stops (and sets `rebalance_seen`) just after a
    /// rebalance starts, when given the flag.
    fn advance_observed(&mut self, target_ms: u64, keep_going: &mut dyn FnMut() -> bool, mut rebalance_seen: Option<&mut bool>) {
        // Time stops at the simulation's horizon (one simulated week), as for scenario files.
        let target_ms = target_ms.min(grouplab_engine::run::bounds::MAX_HORIZON_MS);
        let mut observer = LabObserver::new(&mut self.events, &mut self.next_seq, &mut self.script_errors, keep_going);
        observer.rebalance_seen = rebalance_seen.as_deref_mut();
        self.timeline.apply_due(&mut self.sim, &mut observer);
        self.record_checkpoints();
        // Every iteration moves time forward to the next stop, so this loop is bounded by the
        // number of stops (snapshots, samples) up to the target.
        while self.now_ms() < target_ms {
            if rebalance_seen.as_deref().is_some_and(|&seen| seen) || !keep_going() {
                break;
            }
            let now = self.now_ms();
            let stop = target_ms.min(next_multiple(now, self.sample_interval_ms)).min(next_multiple(now, self.snapshot_interval_ms));
            let mut observer = LabObserver::new(&mut self.events, &mut self.next_seq, &mut self.script_errors, keep_going);
            observer.rebalance_seen = rebalance_seen.as_deref_mut();
            if !self.timeline.advance(&mut self.sim, stop, &mut observer) {
                self.horizon_ms = self.horizon_ms.max(self.now_ms());
                return;
            }
            self.record_checkpoints();
        }
        self.horizon_ms = self.horizon_ms.max(self.now_ms());
    }

    /// Starts a fast-forward (stopping play); time only moves in [`Lab::fast_forward_slice`].
    /// A time not ahead of now, or past the horizon of one simulated week, is refused.
    pub fn start_fast_forward(&mut self, to: FastForwardTo) -> Result<(), String> {
        let now = self.now_ms();
        let max = grouplab_engine::run::bounds::MAX_HORIZON_MS;
        let until_ms = match to {
            FastForwardTo::Time(t) if t <= now => return Err(format!("fast-forward: {t} ms is not ahead of now ({now} ms)")),
            FastForwardTo::Time(t) if t > max => return Err(format!("fast-forward: {t} ms is past the horizon of one simulated week ({max} ms)")),
            FastForwardTo::Time(t) => t,
            FastForwardTo::NextRebalance => now.saturating_add(NEXT_REBALANCE_SEARCH_MS).min(max),
        };
        self.playing = false;
        self.fast_forward = Some(FastForward { to, from_ms: now, until_ms });
        self.fast_forward_end = None;
        Ok(())
    }

    /// Pauses play and stops a fast-forward with the memory warning as the error, when the live
    /// simulation holds more than `max_records` records; returns whether it did.
    pub fn stop_at_memory_limit(&mut self, max_records: u64) -> bool {
        let Some(message) = self.memory_warning(max_records) else { return false };
        self.playing = false;
        self.cancel_fast_forward();
        self.error = Some(message);
        true
    }

    /// Stops a fast-forward where it is: everything simulated so far stays.
    pub fn cancel_fast_forward(&mut self) {
        if self.fast_forward.take().is_some() {
            self.fast_forward_end = Some((FastForwardEnd::Cancelled, self.now_ms()));
        }
    }

    /// One slice of the fast-forward under way: advances until `keep_going` says the frame's
    /// budget is spent, the target is reached or (to the next rebalance) one starts, and ends
    /// the fast-forward in the last two cases.
    pub fn fast_forward_slice(&mut self, keep_going: &mut dyn FnMut() -> bool) {
        let Some(ff) = self.fast_forward else { return };
        let mut seen = false;
        let before = self.now_ms();
        self.advance_observed(ff.until_ms, keep_going, (ff.to == FastForwardTo::NextRebalance).then_some(&mut seen));
        let now = self.now_ms();
        // Nothing left to happen (no timer, no command): time cannot move on.
        let stuck = now == before && self.sim.next_deadline_ms().is_none() && self.timeline.next_command_ms().is_none();
        let end = if seen {
            FastForwardEnd::Rebalance
        } else if now >= ff.until_ms || stuck {
            match ff.to {
                FastForwardTo::NextRebalance => FastForwardEnd::NoRebalance,
                FastForwardTo::Time(_) => FastForwardEnd::Reached,
            }
        } else {
            return;
        };
        self.fast_forward = None;
        self.fast_forward_end = Some((end, now));
    }

    fn record_checkpoints(&mut self) {
        let now = self.now_ms();
        if now.is_multiple_of(self.sample_interval_ms) && self.samples.last().is_none_or(|s| s.at_ms < now) {
            self.take_sample();
        }
        if now.is_multiple_of(self.snapshot_interval_ms) && self.snapshots.last().is_none_or(|s| s.at_ms < now) {
            let weight = snapshot_weight(&self.sim);
            if weight > HEAVY_SNAPSHOT_WEIGHT && self.snapshot_interval_ms < MAX_ADAPTIVE_SNAPSHOT_INTERVAL_MS {
                // Space heavy snapshots out; skip this one unless it is on the new spacing.
                self.thin_snapshots();
                if !now.is_multiple_of(self.snapshot_interval_ms) {
                    return;
                }
            }
            self.snapshots.push(Snapshot {
                at_ms: now,
                cursor: self.timeline.cursor(),
                event_seq: self.next_seq,
                sim: self.sim.clone(),
            });
            // Thin out while over either bound; each round halves the count, so this ends.
            for _ in 0..64 {
                // Shares move as the live simulation and the snapshots come and go: weigh anew.
                let total = self.snapshot_weight();
                if self.snapshots.len() <= MAX_SNAPSHOTS && (total <= MAX_SNAPSHOT_WEIGHT || self.snapshots.len() <= 2) {
                    break;
                }
                self.thin_snapshots();
            }
        }
    }

    /// Doubles the snapshot interval and keeps the snapshots on it (time 0 always stays).
    fn thin_snapshots(&mut self) {
        self.snapshot_interval_ms = self.snapshot_interval_ms.saturating_mul(2);
        let interval = self.snapshot_interval_ms;
        self.snapshots.retain(|s| s.at_ms % interval == 0);
    }

    fn take_sample(&mut self) {
        // Only the groups part of the view: a sample is taken every simulated second.
        let sim = &self.sim;
        let log_start = |topic: &str, partition: u32| sim.partition_offsets(topic, partition).map_or(0, |o| o.0);
        let groups = sim
            .group_views()
            .iter()
            .map(|g| GroupSample {
                group_id: g.group_id.clone(),
                lag: group_lag_with(g, log_start),
                members: g.members.len() as u32,
                processed: g.delivery.processed,
                duplicates: g.delivery.duplicates,
                losses: g.delivery.losses,
                partition_lag: g.lag.iter().take(SAMPLED_PARTITIONS).map(|r| r.committed_lag.unwrap_or(r.high_watermark)).collect(),
                max_lag_ms: g.max_lag_ms.unwrap_or(0),
            })
            .collect();
        self.samples.push(Sample { at_ms: self.sim.now_ms(), groups });
        if self.samples.len() > MAX_SAMPLES {
            self.sample_interval_ms *= 2;
            let interval = self.sample_interval_ms;
            self.samples.retain(|s| s.at_ms % interval == 0);
        }
    }

    /// Jumps to the next moment something is scheduled (engine timer or scripted command) and
    /// processes it; work due right now is done first and does not count as a step.
    pub fn step(&mut self) {
        let start = self.now_ms();
        let mut always = || true;
        self.timeline.advance(&mut self.sim, start, &mut LabObserver::new(&mut self.events, &mut self.next_seq, &mut self.script_errors, &mut always));
        let next = [self.sim.next_deadline_ms(), self.timeline.next_command_ms()].into_iter().flatten().min();
        if let Some(t) = next {
            self.advance_to(t.max(start));
        }
    }

    /// Moves to any moment of the timeline: forward by playing, back by restoring the latest
    /// snapshot at or before `target_ms` and replaying the script from it.
    pub fn seek(&mut self, target_ms: u64) {
        if target_ms >= self.now_ms() {
            self.advance_to(target_ms);
            return;
        }
        let snap = self.snapshots.iter().rev().find(|s| s.at_ms <= target_ms).cloned();
        match snap {
            Some(s) => {
                self.sim = s.sim;
                self.timeline.rewind(s.cursor);
                self.next_seq = s.event_seq;
                while self.events.back().is_some_and(|e| e.seq >= s.event_seq) {
                    self.events.pop_back();
                }
                self.samples.retain(|x| x.at_ms <= s.at_ms);
            }
            None => {
                // No snapshot (cannot happen after `new`, which snapshots time 0): start over.
                if let Ok(sim) = Sim::new(self.scenario.config.clone()) {
                    self.sim = sim;
                    self.timeline.rewind(Cursor::default());
                    self.next_seq = 0;
                    self.events.clear();
                    self.samples.clear();
                }
            }
        }
        let horizon = self.horizon_ms;
        self.advance_to(target_ms);
        self.horizon_ms = horizon;
    }

    fn drain_events(&mut self) {
        let mut always = || true;
        let mut observer = LabObserver::new(&mut self.events, &mut self.next_seq, &mut self.script_errors, &mut always);
        while let Some(e) = self.sim.poll_event() {
            observer.event(e);
        }
    }

    /// Sets the playback speed, clamped to [`MIN_SPEED`]..=[`MAX_SPEED`].
    pub fn set_speed(&mut self, speed: f64) {
        let speed = if speed.is_finite() { speed } else { 1.0 };
        self.speed = speed.clamp(MIN_SPEED, MAX_SPEED);
    }

    /// When the live simulation holds more than `max_records` records, the message to show
    /// (play then pauses: memory would keep growing while nothing deletes records).
    pub fn memory_warning(&self, max_records: u64) -> Option<String> {
        let held = self.sim.retained_records();
        (held > max_records).then(|| {
            format!(
                "Paused: the simulation now holds {held} records on its replicas, too many for a browser tab. \
                 Records are kept until retention deletes them (retention.ms is 7 days by default): lower the \
                 producer rate, or rewind and create the topic with a shorter retention.ms or a retention.bytes."
            )
        })
    }

    /// Weight of all snapshots together (see [`MAX_SNAPSHOT_WEIGHT`]).
    pub fn snapshot_weight(&self) -> u64 {
        self.snapshots.iter().map(|s| snapshot_weight(&s.sim)).sum()
    }

    /// Simulated ms between two snapshots now.
    pub fn snapshot_interval_ms(&self) -> u64 {
        self.snapshot_interval_ms
    }

    /// Number of snapshots kept (for tests and the status line).
    pub fn snapshot_count(&self) -> usize {
        self.snapshots.len()
    }
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("scenario", &self.scenario.name)
            .field("now_ms", &self.now_ms())
            .field("applied", &self.applied().len())
            .field("horizon_ms", &self.horizon_ms)
            .finish()
    }
}

fn next_multiple(now: u64, interval: u64) -> u64 {
    (now / interval + 1).saturating_mul(interval)
}

/// A group's total lag: Σ over its partitions of HW − committed offset (HW − log start when
/// nothing is committed yet), as `kafka-consumer-groups.sh` would add up its LAG column.
pub fn group_lag(view: &View, group: &grouplab_engine::GroupView) -> u64 {
    let log_start = |topic: &str, partition: u32| {
        view.topics.iter().find(|t| t.name == topic).and_then(|t| t.partitions.get(partition as usize)).map_or(0, |p| p.log_start_offset)
    };
    group_lag_with(group, log_start)
}

/// [`group_lag`] with the log start offset of each partition from `log_start(topic, partition)`.
pub fn group_lag_with(group: &grouplab_engine::GroupView, log_start: impl Fn(&str, u32) -> u64) -> u64 {
    group
        .lag
        .iter()
        .map(|row| row.committed_lag.unwrap_or_else(|| row.high_watermark.saturating_sub(log_start(&row.topic, row.partition))))
        .sum()
}

/// The scenario a fresh page starts with: three brokers, a topic `orders` with six partitions,
/// and a consumer group `my-group` subscribed to it, without consumers yet.
pub fn default_scenario() -> Scenario {
    let json = include_str!("../static/scenarios/playground.json");
    serde_json::from_str::<serde_json::Value>(json).and_then(grouplab_engine::api::json::from_value).expect("the bundled playground scenario is valid")
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
        assert_eq!(lab.snapshot_count(), 1, "time 0 is snapshotted");
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
        assert!(matches!(lab.rejected, Some(SimError::InvalidTopic(_))), "{:?}", lab.rejected);
        assert!(lab.applied().is_empty());
    }

    #[test]
    fn replaying_the_applied_commands_reproduces_the_state() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        for _ in 0..3 {
            lab.apply(add_consumer("my-group")).unwrap();
            lab.advance_by(2_500);
        }
        let again = Lab::restore(lab.to_saved()).unwrap();
        assert_eq!(again.sim.state_hash(), lab.sim.state_hash());
        // The same commands as a scenario, through the engine's replay alone.
        let mut scenario = lab.scenario.clone();
        scenario.commands.extend(lab.applied().iter().cloned());
        scenario.run_until_ms = Some(lab.now_ms());
        assert_eq!(scenario.run().unwrap().sim.state_hash(), lab.sim.state_hash());
    }

    #[test]
    fn seeking_back_and_forward_lands_on_the_same_states() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.advance_by(3_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(9_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(20_000);
        let end = lab.now_ms();
        let hash_end = lab.sim.state_hash();
        let mut reference = Lab::new(default_scenario()).unwrap();
        reference.advance_by(3_000);
        reference.apply(add_consumer("my-group")).unwrap();
        reference.advance_by(4_321);
        let hash_mid = reference.sim.state_hash();

        lab.seek(7_321);
        assert_eq!(lab.now_ms(), 7_321);
        assert_eq!(lab.sim.state_hash(), hash_mid, "rewound state equals the state first lived then");
        assert!(lab.in_past());
        assert_eq!(lab.horizon_ms, end);
        assert!(lab.events.iter().all(|e| e.event.at_ms <= 7_321), "no event from the future in the log");
        let seqs: Vec<u64> = lab.events.iter().map(|e| e.seq).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "event log stays contiguous");

        lab.seek(end);
        assert_eq!(lab.sim.state_hash(), hash_end, "replaying the future re-applies the later command");
        assert!(!lab.in_past());
    }

    #[test]
    fn acting_in_the_past_forks_the_timeline() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.advance_by(1_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        assert_eq!(lab.applied().len(), 2);
        lab.seek(5_000);
        lab.apply(crate::actions::produce("orders", 3)).unwrap();
        assert_eq!(lab.applied().len(), 2, "the later add_consumer was discarded, the produce kept");
        assert!(matches!(lab.applied()[1].command, Command::Produce { .. }));
        assert_eq!(lab.horizon_ms, 5_000);
        assert!(!lab.in_past());
        lab.advance_by(30_000);
        assert_eq!(consumers(&lab), 1);
    }

    #[test]
    fn a_heavy_producer_thins_the_snapshots_and_rewind_still_works() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        let heavy = Command::AddProducer {
            producer_id: None,
            topic: "orders".into(),
            rate_per_sec: 10_000,
            keys: grouplab_engine::api::command::KeySpec::None,
            acks: grouplab_engine::api::command::Acks::All,
            config: Default::default(),
        };
        lab.apply(heavy).unwrap();
        lab.advance_by(100_000);
        assert!(lab.sim.retained_records() > 2_000_000, "{} records", lab.sim.retained_records());
        assert!(lab.snapshot_weight() <= MAX_SNAPSHOT_WEIGHT || lab.snapshot_count() <= 2, "weight {} in {} snapshots", lab.snapshot_weight(), lab.snapshot_count());
        assert!(lab.snapshot_interval_ms() >= MAX_ADAPTIVE_SNAPSHOT_INTERVAL_MS, "heavy snapshots spaced out");
        assert!(lab.snapshot_count() >= 2, "time 0 and a later snapshot stay");
        let hash_at_40s = {
            let mut other = Lab::new(default_scenario()).unwrap();
            other.apply(lab.applied()[0].command.clone()).unwrap();
            other.advance_by(40_000);
            other.sim.state_hash()
        };
        lab.seek(40_000);
        assert_eq!(lab.sim.state_hash(), hash_at_40s, "rewinding replays the same past");
    }

    #[test]
    fn a_snapshot_weighs_the_records_it_does_not_share() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(Command::AddProducer {
            producer_id: None,
            topic: "orders".into(),
            rate_per_sec: 2_000,
            keys: grouplab_engine::api::command::KeySpec::None,
            acks: grouplab_engine::api::command::Acks::All,
            config: Default::default(),
        })
        .unwrap();
        lab.advance_by(30_000);
        // The snapshots so far (every 5 s) share most of their records with each other and the
        // live simulation: together they weigh far less than a copy of each would.
        let copies: u64 = lab.snapshots.iter().map(|s| s.sim.retained_records()).sum();
        assert!(lab.snapshot_count() >= 6 && lab.snapshot_weight() < copies / 2, "{} snapshots weigh {}, {copies} records", lab.snapshot_count(), lab.snapshot_weight());
        // Without them, the live simulation holds its records alone; a copy takes half of them.
        lab.snapshots.clear();
        let records = |sim: &Sim| snapshot_weight(sim) - 100 * sim.replica_count();
        let alone = records(&lab.sim);
        assert!(alone * 2 > lab.sim.retained_records() / 3, "about one copy of each record (RF 3): {alone}");
        let copy = lab.sim.clone();
        let (live, copied) = (records(&lab.sim), records(&copy));
        assert!(live < alone * 3 / 4 && copied < alone * 3 / 4, "the full chunks are shared: {alone} -> {live} + {copied}");
        assert!(live + copied < alone + alone / 4, "two holders weigh little more than one: {alone} -> {live} + {copied}");
    }

    #[test]
    fn a_simulation_that_holds_too_many_records_says_so() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.advance_by(10_000);
        let held = lab.sim.retained_records();
        assert!(held > 0);
        assert_eq!(lab.memory_warning(held), None);
        let message = lab.memory_warning(held - 1).expect("over the bound");
        assert!(message.contains(&held.to_string()) && message.contains("retention.ms"), "{message}");
    }

    #[test]
    fn a_thousand_partitions_are_snapshotted_every_forty_seconds() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::create_topic("big", 1_000, 3)).unwrap();
        assert!(snapshot_weight(&lab.sim) > HEAVY_SNAPSHOT_WEIGHT);
        lab.advance_by(100_000);
        assert_eq!(lab.snapshot_interval_ms(), MAX_ADAPTIVE_SNAPSHOT_INTERVAL_MS);
        assert_eq!(lab.snapshots.iter().map(|s| s.at_ms).collect::<Vec<_>>(), vec![0, 40_000, 80_000]);
        let hash = lab.sim.state_hash();
        lab.seek(55_000);
        lab.seek(100_000);
        assert_eq!(lab.sim.state_hash(), hash, "rewind and replay land on the same state");
    }

    #[test]
    fn snapshots_and_samples_stay_bounded() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(3_600_000);
        assert!(lab.snapshot_count() <= MAX_SNAPSHOTS);
        assert!(lab.samples.len() <= MAX_SAMPLES);
        assert!(lab.events.len() <= EVENT_LOG_CAPACITY);
        let hash = lab.sim.state_hash();
        lab.seek(1_234_567);
        lab.seek(3_600_000);
        assert_eq!(lab.sim.state_hash(), hash);
    }

    #[test]
    fn saved_lab_round_trips_through_json() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.advance_by(2_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(5_000);
        let json = serde_json::to_string(&lab.to_saved()).unwrap();
        let back = Lab::restore(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(back.now_ms(), lab.now_ms());
        assert_eq!(back.sim.state_hash(), lab.sim.state_hash());
    }

    #[test]
    fn a_bad_saved_lab_names_the_problem() {
        let lab = Lab::new(default_scenario()).unwrap();
        let mut saved = lab.to_saved();
        saved.now_ms = MAX_IMPORT_TIME_MS + 1;
        assert!(Lab::restore(saved).unwrap_err().contains("now_ms"));
        let mut saved = lab.to_saved();
        saved.format = "zip".into();
        assert!(Lab::restore(saved).unwrap_err().contains("format"));
        let mut saved = lab.to_saved();
        saved.applied.push(TimedCommand { at_ms: 0, command: crate::actions::crash_consumer("nobody") });
        let err = Lab::restore(saved).unwrap_err();
        assert!(err.contains("command #0") && err.contains("nobody"), "{err}");
    }

    #[test]
    fn event_meta_reads_group_member_and_partition() {
        use grouplab_engine::cluster::ClusterEvent;
        use grouplab_engine::group::{GroupEvent, TopicPartition};
        use grouplab_engine::EventKind;
        let group = |g: GroupEvent| Event { at_ms: 1, kind: EventKind::Group(g) };
        let m = event_meta(&group(GroupEvent::JoinGroupReceived { group_id: "g".into(), member_id: "m-1".into(), client_id: "c".into() }));
        assert_eq!(m.kind, "join_group_received");
        assert_eq!(m.group.as_deref(), Some("g"));
        assert_eq!(m.member, vec!["m-1".to_string(), "c".to_string()]);
        let hw = ClusterEvent::HighWatermark { topic: "orders".into(), partition: 3, from: 1, to: 2 };
        let m = event_meta(&Event { at_ms: 1, kind: EventKind::Cluster(hw) });
        assert_eq!((m.kind.as_str(), m.partition.as_deref(), m.broker), ("high_watermark", Some("orders-3"), None));
        let m = event_meta(&group(GroupEvent::MemberAdded { group_id: "g".into(), member_id: "m-2".into() }));
        assert_eq!((m.kind.as_str(), m.group.as_deref(), m.member.as_slice()), ("member_added", Some("g"), &["m-2".to_string()][..]));
        let tp = TopicPartition { topic: "t".into(), partition: 1 };
        let m = event_meta(&group(GroupEvent::Committed { group_id: "g".into(), member_id: "m".into(), tp: tp.clone(), offset: 4 }));
        assert_eq!(m.partition.as_deref(), Some("t-1"));
        let m = event_meta(&group(GroupEvent::Assigned { client_id: "c".into(), partitions: vec![tp] }));
        assert_eq!(m.partitions, vec!["t-1".to_string()]);
        let m = event_meta(&group(GroupEvent::CoordinatorMoved { group_id: "g".into(), broker_id: 2, loaded: true }));
        assert_eq!(m.broker, Some(2));
    }

    #[test]
    fn time_stops_at_the_horizon_and_a_scenario_past_it_is_refused() {
        use grouplab_engine::run::bounds::MAX_HORIZON_MS;
        // A quiet one-broker cluster, so a simulated week is quick.
        let quiet: Scenario = serde_json::from_value(serde_json::json!({
            "name": "quiet", "config": {"brokers": 1, "offsets.topic.num.partitions": 1}
        }))
        .unwrap();
        let mut lab = Lab::new(quiet).unwrap();
        lab.advance_to(u64::MAX);
        assert_eq!(lab.now_ms(), MAX_HORIZON_MS);
        let mut far = default_scenario();
        far.commands.push(TimedCommand { at_ms: MAX_HORIZON_MS + 1, command: add_consumer("my-group") });
        let err = Lab::new(far).unwrap_err().to_string();
        assert!(err.contains("at_ms") && err.contains("horizon"), "{err}");
    }

    #[test]
    fn step_moves_to_the_next_scheduled_moment() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        let before = lab.now_ms();
        lab.step();
        assert!(lab.now_ms() > before);
        let expected = lab.now_ms();
        let mut other = Lab::new(default_scenario()).unwrap();
        other.apply(add_consumer("my-group")).unwrap();
        other.advance_to(expected);
        assert_eq!(other.sim.state_hash(), lab.sim.state_hash(), "a step is the same as advancing to its time");
    }

    #[test]
    fn a_budgeted_advance_stops_early_and_resumes_on_the_same_timeline() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        let mut calls = 0;
        lab.advance_within(20_000, &mut || {
            calls += 1;
            calls < 5
        });
        assert!(lab.now_ms() < 20_000, "stopped early at {}", lab.now_ms());
        lab.advance_to(20_000);
        let mut reference = Lab::new(default_scenario()).unwrap();
        reference.apply(add_consumer("my-group")).unwrap();
        reference.advance_to(20_000);
        assert_eq!(lab.sim.state_hash(), reference.sim.state_hash());
        assert_eq!(lab.samples.len(), reference.samples.len());
    }

    /// A fast-forward runs in slices of a budget, lands exactly on the time asked, and gives
    /// the same simulation as advancing there at once; a time not ahead is refused.
    #[test]
    fn a_fast_forward_runs_in_slices_to_the_time_asked() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        assert!(lab.start_fast_forward(FastForwardTo::Time(0)).is_err());
        assert!(lab.start_fast_forward(FastForwardTo::Time(grouplab_engine::run::bounds::MAX_HORIZON_MS + 1)).is_err());
        assert_eq!(lab.fast_forward, None, "a refused fast-forward changes nothing");
        lab.playing = true;
        lab.start_fast_forward(FastForwardTo::Time(60_000)).unwrap();
        assert!(!lab.playing, "a fast-forward stops play");
        let mut slices = 0;
        let mut last_progress = 0.0;
        while lab.fast_forward.is_some() {
            slices += 1;
            assert!(slices < 10_000, "the fast-forward ends");
            let mut steps = 0;
            lab.fast_forward_slice(&mut || {
                steps += 1;
                steps < 20
            });
            if let Some(ff) = lab.fast_forward {
                let p = ff.progress(lab.now_ms());
                assert!(p >= last_progress && p < 1.0, "progress {p} after {last_progress}");
                last_progress = p;
            }
        }
        assert!(slices > 1, "it took several slices");
        assert_eq!(lab.now_ms(), 60_000);
        assert_eq!(lab.fast_forward_end, Some((FastForwardEnd::Reached, 60_000)));
        let mut reference = Lab::new(default_scenario()).unwrap();
        reference.apply(add_consumer("my-group")).unwrap();
        reference.advance_to(60_000);
        assert_eq!(lab.sim.state_hash(), reference.sim.state_hash());
    }

    /// To the next rebalance: it stops just after one starts (a second consumer joins the group
    /// at 10 s), and a cancel keeps what was simulated.
    #[test]
    fn a_fast_forward_to_the_next_rebalance_stops_just_after_it_starts() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_to(10_000);
        lab.apply(add_consumer("my-group")).unwrap();
        lab.start_fast_forward(FastForwardTo::NextRebalance).unwrap();
        while lab.fast_forward.is_some() {
            lab.fast_forward_slice(&mut || true);
        }
        let (end, at) = lab.fast_forward_end.unwrap();
        assert_eq!(end, FastForwardEnd::Rebalance);
        assert!((10_000..11_000).contains(&at), "stopped at {at}");
        assert!(lab.events.iter().rev().take(20).any(|e| starts_rebalance(&e.event)), "the rebalance is the last thing logged");
        lab.start_fast_forward(FastForwardTo::Time(600_000)).unwrap();
        lab.fast_forward_slice(&mut || false);
        let at = lab.now_ms();
        lab.cancel_fast_forward();
        assert_eq!((lab.fast_forward, lab.fast_forward_end), (None, Some((FastForwardEnd::Cancelled, at))));
    }

    #[test]
    fn samples_carry_group_lag_and_per_partition_lag() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(add_consumer("my-group")).unwrap();
        lab.advance_by(20_000);
        let last = lab.samples.last().unwrap();
        assert_eq!(last.at_ms, 20_000);
        let g = &last.groups[0];
        assert_eq!(g.partition_lag.len(), 6);
        let view = lab.view();
        let expected: u64 = view.groups[0].lag.iter().map(|r| r.committed_lag.unwrap_or(r.high_watermark)).sum();
        assert_eq!(g.partition_lag.iter().sum::<u64>(), expected);
        assert!(g.processed > 0, "the consumer processed records");
        assert!(lab.samples.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
    }

    #[test]
    fn speed_is_clamped() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.set_speed(1e9);
        assert_eq!(lab.speed, MAX_SPEED);
        lab.set_speed(0.0);
        assert_eq!(lab.speed, MIN_SPEED);
        lab.set_speed(f64::NAN);
        assert_eq!(lab.speed, 1.0);
    }

    pub(crate) fn add_consumer(group: &str) -> Command {
        crate::actions::add_consumer(group)
    }
}
