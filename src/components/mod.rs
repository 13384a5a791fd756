//! Leaf components take plain data and `Callback`s; panels read the shared contexts
//! ([`crate::state::LabContext`] to act, [`ViewContext`] to render).

pub mod charts;
pub mod cluster;
pub mod event_log;
pub mod file_menu;
pub mod forms;
pub mod glossary;
pub mod groups;
pub mod help;
pub mod kafka_tables;
pub mod lesson;
pub mod toolbar;
pub mod topics;

use grouplab_engine::View;
use std::rc::Rc;

/// Okabe–Ito palette index for the n-th consumer of a group (CSS variables `--c0`…`--c7`).
pub fn member_colour(index: usize) -> String {
    format!("var(--c{})", index % 8)
}

/// The view of the simulation, computed once per state version and shared by every panel.
#[derive(Clone)]
pub struct ViewContext {
    /// State version it was computed at (equality is by version: views can be large).
    pub version: u64,
    /// The view.
    pub view: Rc<View>,
}

impl PartialEq for ViewContext {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

/// Most rows or cards a list renders before paging (keeps big simulations fast).
pub const PAGE_SIZE: usize = 24;
/// Consumer cards shown per group before "show all".
pub const CARD_PAGE_SIZE: usize = 12;
