//! The root component: the shared state, the view computed once per change, a ticking clock
//! while playing, keyboard shortcuts, theme, persistence (localStorage, shared links) and the
//! page layout.

use crate::actions;
use crate::components::charts::ChartsPanel;
use crate::components::cluster::cluster_panel;
use crate::components::event_log::EventLog;
use crate::components::glossary::GlossaryDialog;
use crate::components::groups::{crash_target, groups_panel};
use crate::components::help::help_dialog;
use crate::components::lesson::LessonArea;
use crate::components::toolbar::{toolbar, ToolbarProps};
use crate::components::topics::TopicsPanel;
use crate::components::sequence::SequencePanel;
use crate::components::share_groups::{share_crash_target, share_groups_panel};
use crate::components::terminal::Terminal;
use crate::components::topology::Topology;
use crate::components::{use_keyed_effect, EffectKey, ViewContext};
use crate::model::{default_scenario, Lab, ADVANCE_STEP_MS};
use crate::persist;
use crate::shortcuts::{shortcut_for, Shortcut};
use crate::state::{Action, LabContext, LabState};
use gloo::events::EventListener;
use gloo::storage::{LocalStorage, Storage};
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Requests the next animation frame; each frame sends one [`Action::Tick`] with the real time
/// since the previous frame (the pacer in `state` decides how much engine work and whether to
/// re-render).
fn schedule_frame(state: LabContext, slot: Rc<RefCell<Option<AnimationFrame>>>, last_ms: Rc<Cell<Option<f64>>>) {
    let next_slot = slot.clone();
    let frame = request_animation_frame(move |now_ms| {
        if let Some(previous) = last_ms.replace(Some(now_ms)) {
            if now_ms > previous {
                state.dispatch(Action::Tick(now_ms - previous));
            }
        }
        schedule_frame(state, next_slot, last_ms);
    });
    *slot.borrow_mut() = Some(frame);
}

fn fresh_lab() -> Lab {
    Lab::new(default_scenario()).expect("the bundled playground scenario runs")
}

/// The lab a page load starts with: a shared link (`#s=`) first, else the last simulation from
/// localStorage (unless `?fresh=1`), else the playground. A damaged link or save keeps the
/// playground and says what was wrong.
fn initial_lab(fresh: bool) -> Lab {
    let location = gloo::utils::window().location();
    let hash = location.hash().unwrap_or_default();
    if let Some(result) = persist::lab_from_fragment(&hash) {
        return result.unwrap_or_else(|e| {
            let mut lab = fresh_lab();
            lab.error = Some(e);
            lab
        });
    }
    let skip = fresh || location.search().unwrap_or_default().contains("fresh=1");
    if !skip {
        if let Ok(json) = LocalStorage::get::<String>(persist::STORAGE_KEY) {
            return persist::import_json(&json).unwrap_or_else(|e| {
                let mut lab = fresh_lab();
                lab.error = Some(format!("could not restore the last simulation: {e}"));
                lab
            });
        }
    }
    fresh_lab()
}

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Start from the playground, ignoring localStorage (tests).
    #[prop_or_default]
    pub fresh: bool,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let fresh = props.fresh;
    let state = use_reducer(move || LabState::new(initial_lab(fresh)));
    let help = use_state(|| false);
    let glossary = use_state(|| false);
    let dark = use_state(|| LocalStorage::get::<String>(persist::THEME_KEY).map(|t| t == "dark").unwrap_or(false));
    let version = state.version();
    // Render cost for the pacer: from here to the effect below, which runs after every child
    // re-rendered.
    state.pacer.borrow_mut().render_started_ms = Some(crate::state::real_now_ms());
    {
        let pacer = state.pacer.clone();
        use_keyed_effect(
            EffectKey::Always,
            Box::new(move || {
                let started = pacer.borrow_mut().render_started_ms.take();
                if let Some(started) = started {
                    pacer.borrow_mut().record_render(crate::state::real_now_ms() - started);
                }
                Box::new(|| ())
            }),
        );
    }
    let view = {
        let lab = state.lab.clone();
        use_memo(version, move |_| Rc::new(lab.borrow().view()))
    };
    let view_ctx = ViewContext { version, view: (*view).clone(), state: state.clone() };

    // The play clock.
    {
        let state = state.clone();
        use_keyed_effect(
            EffectKey::Key(String::new()),
            Box::new(move || {
                let slot: Rc<RefCell<Option<AnimationFrame>>> = Rc::default();
                schedule_frame(state, slot.clone(), Rc::default());
                Box::new(move || drop(slot.borrow_mut().take()))
            }),
        );
    }
    // Theme on <html data-theme>.
    let theme = if *dark { "dark" } else { "light" };
    use_keyed_effect(
        EffectKey::Key(theme.to_string()),
        Box::new(move || {
            if let Some(root) = gloo::utils::document().document_element() {
                let _ = root.set_attribute("data-theme", theme);
            }
            let _ = LocalStorage::set(persist::THEME_KEY, theme);
            Box::new(|| ())
        }),
    );
    // Save the simulation when the person acts, pauses, or every 5 simulated seconds.
    {
        let lab = state.lab.clone();
        let (applied, playing, now_bucket) = {
            let l = lab.borrow();
            (l.applied().len(), l.playing, l.now_ms() / 5_000)
        };
        use_keyed_effect(
            EffectKey::Key(format!("{applied} {playing} {now_bucket}")),
            Box::new(move || {
                let json = persist::export_json(&lab.borrow());
                let _ = LocalStorage::set(persist::STORAGE_KEY, json);
                Box::new(|| ())
            }),
        );
    }
    // A shared link pasted into the address bar.
    {
        let state = state.clone();
        use_keyed_effect(EffectKey::Key(String::new()), Box::new(move || {
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                let hash = gloo::utils::window().location().hash().unwrap_or_default();
                let current = format!("#{}", persist::share_fragment(&state.lab.borrow()));
                if hash == current {
                    return;
                }
                match persist::lab_from_fragment(&hash) {
                    Some(Ok(lab)) => state.dispatch(Action::Replace(Box::new(lab))),
                    Some(Err(e)) => state.dispatch(Action::ShowError(e)),
                    None => {}
                }
            });
            Box::new(move || drop(listener))
        }));
    }
    // Keyboard shortcuts (re-registered when the dialogs/theme change so it sees their values).
    {
        let (state, help, glossary, dark) = (state.clone(), help.clone(), glossary.clone(), dark.clone());
        use_keyed_effect(EffectKey::Key(format!("{} {} {}", *help, *glossary, *dark)), Box::new(move || {
            let options = gloo::events::EventListenerOptions::enable_prevent_default();
            let listener = EventListener::new_with_options(&gloo::utils::document(), "keydown", options, move |event| {
                let Some(event) = event.dyn_ref::<web_sys::KeyboardEvent>() else { return };
                if event.ctrl_key() || event.meta_key() || event.alt_key() {
                    return;
                }
                let key = event.key();
                let tag = event
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|e| e.tag_name().to_ascii_lowercase())
                    .unwrap_or_default();
                if matches!(tag.as_str(), "input" | "select" | "textarea") && key != "Escape" {
                    return;
                }
                if matches!(tag.as_str(), "button" | "summary") && (key == " " || key == "Enter") {
                    return;
                }
                let Some(shortcut) = shortcut_for(&key) else { return };
                event.prevent_default();
                run_shortcut(shortcut, &state, &help, &glossary, &dark);
            });
            Box::new(move || drop(listener))
        }));
    }
    let toggle = |h: &UseStateHandle<bool>| {
        let h = h.clone();
        Callback::from(move |_: ()| h.set(!*h))
    };
    html! {
        <ContextProvider<ViewContext> context={view_ctx}>
            <div class="app" data-testid="app-ready">
                { toolbar(&state, ToolbarProps { on_help: toggle(&help), on_glossary: toggle(&glossary), on_theme: toggle(&dark), dark: *dark }) }
                { error_banner(&state) }
                <LessonArea />
                <Topology />
                <SequencePanel />
                <Terminal />
                <main class="grid">
                    <div class="stack">
                        { cluster_panel(&state, &view) }
                        <TopicsPanel />
                    </div>
                    <div class="stack">
                        { groups_panel(&view) }
                        { share_groups_panel(&state, &view) }
                        <ChartsPanel />
                        <EventLog />
                    </div>
                </main>
                if *help { { help_dialog(toggle(&help)) } }
                if *glossary { <GlossaryDialog on_close={toggle(&glossary)} /> }
            </div>
        </ContextProvider<ViewContext>>
    }
}

fn run_shortcut(s: Shortcut, state: &LabContext, help: &UseStateHandle<bool>, glossary: &UseStateHandle<bool>, dark: &UseStateHandle<bool>) {
    let view = state.lab.borrow().view();
    match s {
        Shortcut::TogglePlay => state.dispatch(Action::TogglePlay),
        Shortcut::Step => state.dispatch(Action::Step),
        Shortcut::Back => {
            let now = state.lab.borrow().now_ms();
            state.dispatch(Action::Seek(now.saturating_sub(ADVANCE_STEP_MS)));
        }
        Shortcut::FastForward => state.dispatch(Action::FastForward(crate::model::FastForwardTo::NextRebalance)),
        Shortcut::Help => help.set(!**help),
        Shortcut::Glossary => glossary.set(!**glossary),
        Shortcut::Theme => dark.set(!**dark),
        Shortcut::Close => {
            help.set(false);
            glossary.set(false);
            if state.lab.borrow().fast_forward.is_some() {
                state.dispatch(Action::CancelFastForward);
            }
        }
        Shortcut::Terminal => {
            if let Some(input) = gloo::utils::document().query_selector("[data-testid=terminal-input]").ok().flatten() {
                if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
                    let _ = input.focus();
                }
            }
        }
        Shortcut::Faster | Shortcut::Slower => {
            let speed = state.lab.borrow().speed;
            state.dispatch(Action::SetSpeed(if s == Shortcut::Faster { speed * 2.0 } else { speed / 2.0 }));
        }
        Shortcut::AddConsumer => match view.groups.first() {
            Some(g) => state.dispatch(Action::Apply(actions::add_consumer(&g.group_id))),
            None => state.dispatch(Action::ShowError("no consumer group yet: create one with + Group".into())),
        },
        Shortcut::Produce => match view.topics.iter().find(|t| !t.internal) {
            Some(t) => state.dispatch(Action::Apply(actions::produce(&t.name, 10))),
            None => state.dispatch(Action::ShowError("no topic yet: create one with + Topic".into())),
        },
        Shortcut::Crash => {
            let selected = state.lab.borrow().selected.clone();
            // The selected consumer of either kind, else the last running consumer-group
            // consumer, else the last running share consumer.
            let share = share_crash_target(&view, selected.as_deref());
            let target = match (&share, &selected) {
                (Some(s), Some(sel)) if s == sel => share,
                _ => crash_target(&view.groups, selected.as_deref()).or(share),
            };
            match target {
                Some(id) => state.dispatch(Action::Apply(actions::crash_consumer(&id))),
                None => state.dispatch(Action::ShowError("no consumer to crash".into())),
            }
        }
    }
}

/// The error message, if any, with a button that dismisses it.
fn error_banner(state: &LabContext) -> Html {
    let error = state.lab.borrow().error.clone();
    let dismiss = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::DismissError))
    };
    match error {
        None => html! {},
        Some(message) => html! {
            <div class="error-banner" role="alert" data-testid="error">
                <span>{ message }</span>
                <button aria-label="Dismiss error" onclick={dismiss}>{ "×" }</button>
            </div>
        },
    }
}
