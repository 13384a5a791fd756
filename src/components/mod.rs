//! Leaf components take plain data and `Callback`s; panels read the shared context
//! ([`ViewContext`]: the state to act on and the view to render).

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
pub mod sequence;
pub mod share_groups;
pub mod toolbar;
pub mod topology;

pub mod terminal;
pub mod topics;

use grouplab_engine::View;
use std::rc::Rc;
use yew::prelude::*;

/// Okabe–Ito palette index for the n-th consumer of a group (CSS variables `--c0`…`--c7`).
pub fn member_colour(index: usize) -> String {
    format!("var(--c{})", index % 8)
}

/// The one context every panel reads: the shared state (to act) and its view, computed once per
/// state version. (One context type, not two: each costs its own copy of yew's context code.)
#[derive(Clone)]
pub struct ViewContext {
    /// State version it was computed at (equality is by version: views can be large, and the
    /// state changes exactly when its version does).
    pub version: u64,
    /// The view.
    pub view: Rc<View>,
    /// The shared state.
    pub state: crate::state::LabContext,
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

// Small shared pieces of markup and event plumbing. They are plain functions (not components,
// not generic) so their code exists once in the wasm however often they are used.

/// An `<option>` of a select.
pub fn option(value: &str, text: &str, selected: bool) -> Html {
    html! { <option value={value.to_string()} {selected}>{ text }</option> }
}

/// An `input` handler that passes the input's new value to `cb`.
pub fn input_value(cb: Callback<String>) -> Callback<InputEvent> {
    Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
}

/// A callback that stores the string it is given in `handle`.
pub fn set(handle: &UseStateHandle<String>) -> Callback<String> {
    let handle = handle.clone();
    Callback::from(move |v: String| handle.set(v))
}

/// A `change` handler that passes the select's new value to `cb`.
pub fn select_value(cb: Callback<String>) -> Callback<Event> {
    Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()))
}

/// When a [`use_keyed_effect`] runs again.
#[derive(Clone, Debug)]
pub enum EffectKey {
    /// After every render.
    Always,
    /// After the first render and after each render where the key changed.
    Key(String),
}

impl PartialEq for EffectKey {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (EffectKey::Key(a), EffectKey::Key(b)) => a == b,
            _ => false,
        }
    }
}

/// What an effect returns: run before the effect runs again and when the component goes away.
pub type Teardown = Box<dyn FnOnce()>;

/// `use_effect_with` with the dependencies folded into a [`EffectKey`] and the effect boxed, so
/// every effect of the app shares one copy of yew's effect code (each distinct dependency or
/// closure type would otherwise compile its own, ~1 KB each).
#[hook]
pub fn use_keyed_effect(key: EffectKey, effect: Box<dyn FnOnce() -> Teardown>) {
    use_effect_with(key, move |_| effect());
}
