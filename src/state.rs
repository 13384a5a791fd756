//! The one shared UI state: a [`Lab`] behind a `use_reducer`, handed down by context.
//!
//! The simulation can be large, so the reducer mutates it in place behind a `RefCell` and bumps a
//! version number; components re-render when the version changes.

use crate::model::Lab;
use grouplab_engine::Command;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Everything the UI can ask of the lab.
pub enum Action {
    /// Apply an engine command now (forks the timeline when in the past).
    Apply(Command),
    /// Move simulated time forward.
    AdvanceBy(u64),
    /// Jump to the next scheduled event.
    Step,
    /// Play / pause.
    TogglePlay,
    /// Play (true) or pause (false).
    SetPlaying(bool),
    /// Playback speed (simulated ms per real ms).
    SetSpeed(f64),
    /// Real milliseconds elapsed since the last tick while playing.
    Tick(f64),
    /// Move to any moment of the timeline.
    Seek(u64),
    /// Replace the whole lab (import, shared link, lesson).
    Replace(Box<Lab>),
    /// Show an error message (bad file, bad link) without changing the simulation.
    ShowError(String),
    /// Hide the error message.
    DismissError,
    /// Select a consumer (target of the crash shortcut); `None` clears.
    Select(Option<String>),
    /// Open the sequence diagram of a rebalance (`None` closes it).
    OpenSequence(Option<crate::model::SequenceWindow>),
    /// Run the engine as fast as it can to a time or the next rebalance (slices of two frames).
    FastForward(crate::model::FastForwardTo),
    /// Stop the fast-forward under way where it is.
    CancelFastForward,
}

/// Real milliseconds of simulation work a frame that does not re-render starts with; the pacer
/// then adapts it between [`MIN_ENGINE_BUDGET_MS`] and [`MAX_ENGINE_BUDGET_MS`] (the rest of the
/// 16.7 ms frame is left to the browser).
pub const ENGINE_BUDGET_MS: f64 = 8.0;
/// Least engine budget of a frame that does not re-render.
pub const MIN_ENGINE_BUDGET_MS: f64 = 3.0;
/// Most engine budget of a frame.
pub const MAX_ENGINE_BUDGET_MS: f64 = 12.5;
/// Most real time of simulation a lagging engine may still owe (older debt is dropped: the
/// simulation then simply runs slower than asked).
pub const MAX_DEBT_REAL_MS: f64 = 500.0;
/// A frame that came later than this after the previous one missed a display refresh.
pub const LATE_FRAME_MS: f64 = 20.0;
/// Re-rendering cheaper than this happens every frame.
pub const CHEAP_RENDER_MS: f64 = 4.0;
/// Real ms of engine work in one slice of a fast-forward that does not re-render: two display
/// frames. A click (Cancel) is still handled within a few tens of ms, and the engine, not the
/// wait for the next frame, takes most of the time (with a slice of one frame's budget the page
/// sat idle for about a third of a fast-forward).
pub const FAST_FORWARD_SLICE_MS: f64 = 33.0;
const _: () = assert!(FAST_FORWARD_SLICE_MS > MAX_ENGINE_BUDGET_MS, "a slice is longer than a played frame's budget");
/// Longest real time between two re-renders while playing.
pub const MAX_RENDER_INTERVAL_MS: f64 = 1_000.0;

/// Frame pacing while playing: how much engine work a frame gets and whether it re-renders.
///
/// Rendering a big simulation (1,000 partitions, hundreds of members) costs more than a frame,
/// so such a frame is always a dropped frame. The pacer keeps those rare — a re-render at most
/// once every `40 × render cost` — and gives the frames in between to the engine. A small
/// simulation renders every frame. The model never reads a clock; the costs come from the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct Pacer {
    /// Smoothed cost of one re-render (view + reconcile), real ms.
    pub render_cost_ms: f64,
    /// Engine budget of the next frame that does not re-render (adapted to the machine).
    pub engine_budget_ms: f64,
    /// Whether the previous frame re-rendered (its lateness says nothing about the budget).
    last_rendered: bool,
    /// Real ms since the last re-render while playing.
    pub since_render_ms: f64,
    /// When the current re-render started (real ms), set by the root component.
    pub render_started_ms: Option<f64>,
    /// Simulated ms the engine owes from frames that ran out of budget: quieter frames catch up
    /// (bounded by [`MAX_DEBT_REAL_MS`] of real time at the asked speed).
    pub debt_sim_ms: f64,
    /// Simulated ms gained and real ms spent since the speed estimate was last updated.
    window_sim_ms: f64,
    window_real_ms: f64,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer {
            render_cost_ms: 0.0,
            engine_budget_ms: ENGINE_BUDGET_MS,
            last_rendered: false,
            debt_sim_ms: 0.0,
            since_render_ms: 0.0,
            render_started_ms: None,
            window_sim_ms: 0.0,
            window_real_ms: 0.0,
        }
    }
}

/// What one frame does: engine budget (real ms) and whether it re-renders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FramePlan {
    /// Real ms the engine may run in this frame.
    pub engine_budget_ms: f64,
    /// Whether this frame re-renders the page.
    pub render: bool,
}

impl FramePlan {
    /// Engine budget of this frame in a fast-forward: a re-rendering frame keeps its own (at
    /// least [`MIN_ENGINE_BUDGET_MS`]), any other runs a [`FAST_FORWARD_SLICE_MS`] slice.
    pub fn fast_forward_budget_ms(&self) -> f64 {
        if self.render {
            self.engine_budget_ms.max(MIN_ENGINE_BUDGET_MS)
        } else {
            FAST_FORWARD_SLICE_MS
        }
    }
}

impl Pacer {
    /// Real ms between two re-renders for the current render cost.
    pub fn render_interval_ms(&self) -> f64 {
        if self.render_cost_ms < CHEAP_RENDER_MS {
            0.0
        } else {
            (self.render_cost_ms * 40.0).min(MAX_RENDER_INTERVAL_MS)
        }
    }

    /// Plans a frame that comes `frame_ms` real ms after the previous one.
    ///
    /// The engine budget adapts like TCP's window: a frame that does not re-render and still
    /// came late (a missed display refresh) cuts it by a fifth; each frame on time grows it by
    /// 0.1 ms. A re-rendering frame gives the engine what the re-render leaves of the budget.
    pub fn plan(&mut self, frame_ms: f64) -> FramePlan {
        if !self.last_rendered {
            if frame_ms > LATE_FRAME_MS {
                self.engine_budget_ms *= 0.8;
            } else {
                self.engine_budget_ms += 0.1;
            }
            self.engine_budget_ms = self.engine_budget_ms.clamp(MIN_ENGINE_BUDGET_MS, MAX_ENGINE_BUDGET_MS);
        }
        self.since_render_ms += frame_ms;
        let render = self.since_render_ms >= self.render_interval_ms();
        let engine_budget_ms =
            if render { (self.engine_budget_ms - self.render_cost_ms).max(0.0) } else { self.engine_budget_ms };
        if render {
            self.since_render_ms = 0.0;
        }
        self.last_rendered = render;
        FramePlan { engine_budget_ms, render }
    }

    /// Records the cost of a finished re-render (real ms), smoothed.
    pub fn record_render(&mut self, cost_ms: f64) {
        let cost_ms = cost_ms.clamp(0.0, 10_000.0);
        self.render_cost_ms = if self.render_cost_ms == 0.0 { cost_ms } else { 0.7 * self.render_cost_ms + 0.3 * cost_ms };
    }

    /// Accounts one played frame; returns the measured speed (simulated ms per real ms) once a
    /// second of real time has been seen.
    pub fn record_progress(&mut self, sim_ms: f64, real_ms: f64) -> Option<f64> {
        self.window_sim_ms += sim_ms;
        self.window_real_ms += real_ms;
        if self.window_real_ms < 1_000.0 {
            return None;
        }
        let speed = self.window_sim_ms / self.window_real_ms;
        self.window_sim_ms = 0.0;
        self.window_real_ms = 0.0;
        Some(speed)
    }

    /// Simulated ms this frame should reach: its own share plus the debt.
    pub fn owed_sim_ms(&self, frame_ms: f64, speed: f64) -> f64 {
        frame_ms * speed + self.debt_sim_ms
    }

    /// Records what a frame owed and gained; keeps the (bounded) rest as debt.
    pub fn settle(&mut self, owed_sim_ms: f64, gained_sim_ms: f64, speed: f64) {
        self.debt_sim_ms = (owed_sim_ms - gained_sim_ms).clamp(0.0, MAX_DEBT_REAL_MS * speed);
    }

    /// Forgets the speed window and the debt (on pause, seek, replace).
    pub fn reset_window(&mut self) {
        self.debt_sim_ms = 0.0;
        self.window_sim_ms = 0.0;
        self.window_real_ms = 0.0;
    }
}

/// A real-time clock for the tick budget (the model itself never reads a clock).
pub fn real_now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0.0
    }
}

/// The reducer's state: the lab and a version bumped on every change.
#[derive(Clone)]
pub struct LabState {
    /// The lab, mutated in place.
    pub lab: Rc<RefCell<Lab>>,
    version: u64,
    /// Frame pacing while playing (shared by every version of the state).
    pub pacer: Rc<RefCell<Pacer>>,
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lab, &other.lab) && self.version == other.version
    }
}

impl LabState {
    /// Wraps a lab.
    pub fn new(lab: Lab) -> Self {
        LabState { lab: Rc::new(RefCell::new(lab)), version: 0, pacer: Rc::default() }
    }

    /// Bumped on every change (for memoising derived data).
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl Reducible for LabState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if matches!(action, Action::TogglePlay | Action::SetPlaying(_) | Action::Step | Action::SetSpeed(_) | Action::Seek(_) | Action::Replace(_)) {
            // The measured speed describes uninterrupted play at one speed.
            self.pacer.borrow_mut().reset_window();
            self.lab.borrow_mut().measured_speed = None;
        }
        let changed = {
            let mut lab = self.lab.borrow_mut();
            if lab.fast_forward.is_some() && matches!(action, Action::TogglePlay | Action::SetPlaying(true) | Action::Step | Action::Seek(_) | Action::Replace(_)) {
                lab.cancel_fast_forward();
            }
            match action {
                Action::Apply(command) => {
                    let _ = lab.apply(command);
                    true
                }
                Action::AdvanceBy(ms) => {
                    lab.advance_by(ms);
                    true
                }
                Action::Step => {
                    lab.playing = false;
                    lab.step();
                    true
                }
                Action::TogglePlay => {
                    lab.playing = !lab.playing;
                    true
                }
                Action::SetPlaying(p) => {
                    let changed = lab.playing != p;
                    lab.playing = p;
                    changed
                }
                Action::SetSpeed(speed) => {
                    lab.set_speed(speed);
                    true
                }
                Action::Tick(real_ms) if lab.playing => {
                    let real_ms = real_ms.clamp(0.0, 250.0);
                    let (plan, owed) = {
                        let mut pacer = self.pacer.borrow_mut();
                        (pacer.plan(real_ms), pacer.owed_sim_ms(real_ms, lab.speed))
                    };
                    let before = lab.now_ms();
                    let target = before.saturating_add((owed.round() as u64).max(1));
                    if plan.engine_budget_ms > 0.0 {
                        let start = real_now_ms();
                        lab.advance_within(target, &mut || real_now_ms() - start < plan.engine_budget_ms);
                    }
                    let gained = lab.now_ms().saturating_sub(before) as f64;
                    self.pacer.borrow_mut().settle(owed, gained, lab.speed);
                    if let Some(speed) = self.pacer.borrow_mut().record_progress(gained, real_ms) {
                        lab.measured_speed = Some(speed);
                    }
                    lab.stop_at_memory_limit(crate::model::MAX_LIVE_RECORDS) || plan.render
                }
                Action::Tick(real_ms) if lab.fast_forward.is_some() => {
                    // As fast as the page allows: a slice of two frames, no speed to keep.
                    let plan = self.pacer.borrow_mut().plan(real_ms.clamp(0.0, 250.0));
                    let start = real_now_ms();
                    let budget = plan.fast_forward_budget_ms();
                    lab.fast_forward_slice(&mut || real_now_ms() - start < budget);
                    lab.stop_at_memory_limit(crate::model::MAX_LIVE_RECORDS) || plan.render || lab.fast_forward.is_none()
                }
                Action::Tick(_) => false,
                Action::FastForward(to) => {
                    if let Err(message) = lab.start_fast_forward(to) {
                        lab.error = Some(message);
                    }
                    self.pacer.borrow_mut().reset_window();
                    true
                }
                Action::CancelFastForward => {
                    lab.cancel_fast_forward();
                    true
                }
                Action::Seek(t) => {
                    lab.seek(t);
                    true
                }
                Action::Replace(new_lab) => {
                    *lab = *new_lab;
                    true
                }
                Action::ShowError(message) => {
                    lab.error = Some(message);
                    true
                }
                Action::DismissError => lab.error.take().is_some(),
                Action::Select(id) => {
                    lab.selected = id;
                    true
                }
                Action::OpenSequence(window) => {
                    lab.open_sequence(window);
                    true
                }
            }
        };
        if !changed {
            return self;
        }
        Rc::new(LabState { lab: self.lab.clone(), version: self.version + 1, pacer: self.pacer.clone() })
    }
}

/// The context every panel reads.
pub type LabContext = UseReducerHandle<LabState>;

/// Applies `command` now through the reducer and tells whether the engine took it. The engine's
/// `apply` is atomic (a rejected command changes nothing), so a form can simply try and show the
/// error under the field; yew's reducer runs synchronously inside `dispatch`.
pub fn apply_command(state: &LabContext, command: grouplab_engine::Command) -> Result<(), grouplab_engine::SimError> {
    state.dispatch(Action::Apply(command));
    state.lab.borrow().rejected.clone().map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `frames` frames of 16.7 ms with a constant render cost; returns how many rendered.
    fn renders(cost_ms: f64, frames: usize) -> usize {
        let mut pacer = Pacer::default();
        pacer.record_render(cost_ms);
        (0..frames).filter(|_| pacer.plan(16.7).render).count()
    }

    #[test]
    fn cheap_renders_happen_every_frame_with_engine_time_left() {
        assert_eq!(renders(2.0, 60), 60);
        let mut pacer = Pacer::default();
        pacer.record_render(2.0);
        let plan = pacer.plan(16.7);
        assert!(plan.render);
        assert!((plan.engine_budget_ms - (ENGINE_BUDGET_MS + 0.1 - 2.0)).abs() < 1e-9, "the render's cost comes off the engine budget");
    }

    #[test]
    fn expensive_renders_are_rare_and_leave_the_engine_out() {
        // 25 ms renders: at most one frame in 40 re-renders, so ≥ 95 % of frames stay on time.
        let n = renders(25.0, 600);
        assert!((10..=16).contains(&n), "{n} renders in 600 frames");
        let mut pacer = Pacer::default();
        pacer.record_render(25.0);
        let plans: Vec<FramePlan> = (0..120).map(|_| pacer.plan(16.7)).collect();
        assert!(plans.iter().filter(|p| p.render).all(|p| p.engine_budget_ms == 0.0));
        assert!(plans.iter().filter(|p| !p.render).all(|p| p.engine_budget_ms >= ENGINE_BUDGET_MS));
    }

    #[test]
    fn a_fast_forward_runs_two_frames_of_engine_work_between_re_renders() {
        let quiet = FramePlan { engine_budget_ms: ENGINE_BUDGET_MS, render: false };
        assert_eq!(quiet.fast_forward_budget_ms(), FAST_FORWARD_SLICE_MS);
        let rendering = FramePlan { engine_budget_ms: 0.0, render: true };
        assert_eq!(rendering.fast_forward_budget_ms(), MIN_ENGINE_BUDGET_MS, "a re-render still moves time");
        let cheap = FramePlan { engine_budget_ms: 6.0, render: true };
        assert_eq!(cheap.fast_forward_budget_ms(), 6.0);
    }

    #[test]
    fn the_engine_budget_grows_while_frames_are_on_time_and_shrinks_when_late() {
        let mut pacer = Pacer::default();
        pacer.record_render(30.0);
        for _ in 0..200 {
            pacer.plan(16.7);
        }
        assert_eq!(pacer.engine_budget_ms, MAX_ENGINE_BUDGET_MS, "on-time frames grow it to the cap");
        // A late frame after a frame that did not re-render: cut.
        let before = pacer.engine_budget_ms;
        let plan = pacer.plan(33.3);
        assert!(!plan.render);
        assert!(pacer.engine_budget_ms < before);
        for _ in 0..100 {
            pacer.plan(33.3);
        }
        assert_eq!(pacer.engine_budget_ms, MIN_ENGINE_BUDGET_MS, "never below the floor");
        // A late frame right after a re-render does not count against the engine.
        let mut pacer = Pacer::default();
        pacer.record_render(30.0);
        pacer.since_render_ms = 10_000.0;
        assert!(pacer.plan(16.7).render);
        let before = pacer.engine_budget_ms;
        pacer.plan(50.0);
        assert_eq!(pacer.engine_budget_ms, before);
    }

    #[test]
    fn a_lagging_engine_catches_up_in_quieter_frames_within_a_bound() {
        let mut pacer = Pacer::default();
        let owed = pacer.owed_sim_ms(16.0, 10.0);
        assert_eq!(owed, 160.0);
        pacer.settle(owed, 100.0, 10.0);
        assert_eq!(pacer.owed_sim_ms(16.0, 10.0), 220.0, "the 60 ms not reached are owed next frame");
        pacer.settle(220.0, 220.0, 10.0);
        assert_eq!(pacer.debt_sim_ms, 0.0);
        pacer.settle(1.0e9, 0.0, 10.0);
        assert_eq!(pacer.debt_sim_ms, MAX_DEBT_REAL_MS * 10.0, "bounded");
        pacer.reset_window();
        assert_eq!(pacer.debt_sim_ms, 0.0);
    }

    #[test]
    fn the_render_interval_is_capped_at_a_second() {
        let mut pacer = Pacer::default();
        pacer.record_render(500.0);
        assert_eq!(pacer.render_interval_ms(), MAX_RENDER_INTERVAL_MS);
        assert_eq!(renders(500.0, 600), 10, "one re-render per second of frames");
    }

    #[test]
    fn render_cost_is_smoothed() {
        let mut pacer = Pacer::default();
        pacer.record_render(10.0);
        pacer.record_render(20.0);
        assert!((pacer.render_cost_ms - 13.0).abs() < 1e-9);
        pacer.record_render(f64::NAN.max(-5.0));
        assert!(pacer.render_cost_ms >= 0.0);
    }

    #[test]
    fn measured_speed_comes_once_per_real_second() {
        let mut pacer = Pacer::default();
        let mut reported = Vec::new();
        for _ in 0..120 {
            if let Some(s) = pacer.record_progress(50.0, 16.7) {
                reported.push(s);
            }
        }
        assert_eq!(reported.len(), 2);
        assert!(reported.iter().all(|s| (s - 50.0 / 16.7).abs() < 1e-9));
        pacer.record_progress(1.0, 999.0);
        pacer.reset_window();
        assert_eq!(pacer.record_progress(0.0, 1.0), None, "the window starts over after a reset");
    }
}
