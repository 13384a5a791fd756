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
pub mod toolbar;
pub mod topics;

use grouplab_engine::View;
use std::rc::Rc;
use yew::prelude::*;
use yew::virtual_dom::{AttributeOrProperty, Attributes, VTag, VText};

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

/// An attribute value, `None` (attribute left out) when empty.
pub fn attr(value: AttrValue) -> Option<AttributeOrProperty> {
    (!value.is_empty()).then_some(AttributeOrProperty::Attribute(value))
}

/// `<tag>` with the attributes `keys` (their `values`, `None` to leave one out) and one text
/// child. Built directly rather than by `html!`: a dynamic `class` in `html!` goes through
/// yew's `Classes` set on every render.
pub fn element(tag: &'static str, keys: &'static [&'static str], values: Box<[Option<AttributeOrProperty>]>, text: AttrValue) -> VTag {
    let mut el = VTag::new(AttrValue::Static(tag));
    el.set_attributes(Attributes::Dynamic { keys, values });
    el.add_child(VText::new(text).into());
    el
}

/// A text node. (A `String` or `&str` given to `html!` as `{ x }` is copied by `ToString`
/// first; text that is an [`AttrValue`] already is not. Static text: `AttrValue::Static`.)
pub fn text(t: AttrValue) -> Html {
    VText::new(t).into()
}

/// `<tag>text</tag>` with a `class`, `title` and `data-testid` (each left out when empty).
pub fn leaf(tag: &'static str, class: &'static str, title: AttrValue, testid: &'static str, text: AttrValue) -> Html {
    let values = Box::new([attr(AttrValue::Static(class)), attr(title), attr(AttrValue::Static(testid))]);
    element(tag, &["class", "title", "data-testid"], values, text).into()
}

/// `<tag class=..>text</tag>` (`class` left out when empty).
pub fn text_tag(tag: &'static str, class: &'static str, text: AttrValue) -> Html {
    leaf(tag, class, AttrValue::default(), "", text)
}

/// A `<button>`; `class`, `label` (its `aria-label`), `title` and `testid` are left out when
/// empty.
pub fn button(class: &'static str, text: AttrValue, label: AttrValue, title: &'static str, testid: &'static str, disabled: bool, onclick: Callback<MouseEvent>) -> Html {
    let disabled = AttrValue::Static(if disabled { "disabled" } else { "" });
    let values = Box::new([attr(AttrValue::Static(class)), attr(label), attr(AttrValue::Static(title)), attr(AttrValue::Static(testid)), attr(disabled)]);
    let mut el = element("button", &["class", "aria-label", "title", "data-testid", "disabled"], values, text);
    on_click(&mut el, onclick);
    el.into()
}

/// Sets the `click` handler of an element made by [`element`].
pub fn on_click(el: &mut VTag, onclick: Callback<MouseEvent>) {
    el.set_listeners(Box::new([Some(Rc::new(yew::html::onclick::Wrapper::new(onclick)))]));
}

/// An `<option>` of a select.
pub fn option(value: &str, text: &str, selected: bool) -> Html {
    html! { <option value={value.to_string()} {selected}>{ self::text(text.to_string().into()) }</option> }
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
