//! The one shared UI state: a [`Lab`] behind a `use_reducer`, handed down by context.
//!
//! The simulation can be large, so the reducer mutates it in place behind a `RefCell` and bumps a
//! version number; components re-render when the version changes.

use crate::model::Lab;
use grouplab_engine::Command;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

pub enum Action {
    Apply(Command),
    AdvanceBy(u64),
    Step,
    TogglePlay,
    SetSpeed(f64),
    /// Real milliseconds elapsed since the last tick while playing.
    Tick(f64),
    DismissError,
}

#[derive(Clone)]
pub struct LabState {
    pub lab: Rc<RefCell<Lab>>,
    version: u64,
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lab, &other.lab) && self.version == other.version
    }
}

impl LabState {
    pub fn new(lab: Lab) -> Self {
        LabState { lab: Rc::new(RefCell::new(lab)), version: 0 }
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
                    lab.step();
                    true
                }
                Action::TogglePlay => {
                    lab.playing = !lab.playing;
                    true
                }
                Action::SetSpeed(speed) => {
                    lab.set_speed(speed);
                    true
                }
                Action::Tick(real_ms) if lab.playing => {
                    let delta = (real_ms.clamp(0.0, 250.0) * lab.speed).round() as u64;
                    lab.advance_by(delta);
                    true
                }
                Action::Tick(_) => false,
                Action::DismissError => lab.error.take().is_some(),
            }
        };
        if !changed {
            return self;
        }
        Rc::new(LabState { lab: self.lab.clone(), version: self.version + 1 })
    }
}

pub type LabContext = UseReducerHandle<LabState>;
