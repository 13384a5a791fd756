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
}

/// Real milliseconds of simulation work one play tick may take (the rest of the frame is left
/// to rendering).
pub const TICK_BUDGET_MS: f64 = 8.0;

/// A real-time clock for the tick budget (the model itself never reads a clock).
fn real_now_ms() -> f64 {
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
    skipped: Rc<std::cell::Cell<bool>>,
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lab, &other.lab) && self.version == other.version
    }
}

impl LabState {
    /// Wraps a lab.
    pub fn new(lab: Lab) -> Self {
        LabState { lab: Rc::new(RefCell::new(lab)), version: 0, skipped: Rc::new(std::cell::Cell::new(false)) }
    }

    /// Bumped on every change (for memoising derived data).
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl Reducible for LabState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let changed = {
            let mut lab = self.lab.borrow_mut();
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
                    let delta = (real_ms.clamp(0.0, 250.0) * lab.speed).round() as u64;
                    let target = lab.now_ms().saturating_add(delta.max(1));
                    let start = real_now_ms();
                    lab.advance_within(target, &mut || real_now_ms() - start < TICK_BUDGET_MS);
                    // Big simulations: render every other tick so a frame never carries both
                    // the simulation work and a full re-render.
                    let heavy = real_now_ms() - start > TICK_BUDGET_MS / 2.0;
                    if heavy && !self.skipped.get() {
                        self.skipped.set(true);
                        false
                    } else {
                        self.skipped.set(false);
                        true
                    }
                }
                Action::Tick(_) => false,
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
            }
        };
        if !changed {
            return self;
        }
        Rc::new(LabState { lab: self.lab.clone(), version: self.version + 1, skipped: self.skipped.clone() })
    }
}

/// The context every panel reads.
pub type LabContext = UseReducerHandle<LabState>;
