//! Guided lessons in the UI: the lesson picker on the start page and the narration panel.
//!
//! The lessons are the engine's [`Lesson`] files bundled from `static/scenarios/`. Entering a
//! step plays the earlier steps with [`LessonRun::at_step`] (the same scripted learner as the
//! headless tests) and replaces the lab with the result, so Back, jumping to any step and `#lesson=<id>&step=<n>` URLs all land on the same
//! state. While a step runs the learner uses the ordinary controls; the panel watches the lab:
//! simulated time for `after_ms`, the predicted time of the awaited event for `on_event`
//! ([`predict_event`]) and the commands applied since the step started for `on_action`.
//! Questions are answered by the learner first and revealed from the engine once the step is
//! done. A bad imported file is refused with its file, step and problem; nothing is lost.

use std::rc::Rc;

use grouplab_engine::lesson::{action_matches, predict_event, Advance, Lesson, LessonRun};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::model::{Lab, SavedLab, SAVED_FORMAT, SAVED_VERSION};
use crate::state::{Action, LabContext};

/// The bundled lessons: URL id and file text, in teaching order.
pub const BUNDLED: &[(&str, &str)] = &[
    ("consumer-groups", include_str!("../../static/scenarios/consumer-groups.json")),
    ("several-groups", include_str!("../../static/scenarios/several-groups.json")),
    ("failover", include_str!("../../static/scenarios/failover.json")),
    ("offsets", include_str!("../../static/scenarios/offsets.json")),
    ("what-consumers-see", include_str!("../../static/scenarios/what-consumers-see.json")),
    ("cardinality", include_str!("../../static/scenarios/cardinality.json")),
    ("multi-threaded", include_str!("../../static/scenarios/multi-threaded.json")),
    ("eager-vs-cooperative", include_str!("../../static/scenarios/eager-vs-cooperative.json")),
    ("max-poll-interval", include_str!("../../static/scenarios/max-poll-interval.json")),
    ("broker-crash", include_str!("../../static/scenarios/broker-crash.json")),
    ("classic-figure", include_str!("../../static/scenarios/classic-figure.json")),
];

/// Parses the bundled lessons (they are checked by the engine tests; a broken one is skipped).
pub fn bundled_lessons() -> Vec<(String, Rc<Lesson>)> {
    BUNDLED
        .iter()
        .filter_map(|(id, text)| Lesson::from_json(&format!("{id}.json"), text).ok().map(|l| (id.to_string(), Rc::new(l))))
        .collect()
}

/// `#lesson=<id>&step=<n>` (step 1-based) → (id, 0-based step).
pub fn parse_hash(hash: &str) -> Option<(String, usize)> {
    let mut id = None;
    let mut step = 0;
    for part in hash.trim_start_matches('#').split('&') {
        match part.split_once('=') {
            Some(("lesson", v)) if !v.is_empty() => id = Some(v.to_string()),
            Some(("step", v)) => step = v.parse::<usize>().unwrap_or(1).saturating_sub(1),
            _ => {}
        }
    }
    id.map(|i| (i, step))
}

/// The URL fragment for a lesson step (0-based in, 1-based out).
pub fn lesson_hash(id: &str, step: usize) -> String {
    format!("#lesson={id}&step={}", step + 1)
}

fn safe_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// CSS selector for one highlight id: `partition-<topic>-<p>`, `consumer-<client>`,
/// `group-<group>`, `topic-<topic>`, `broker-<n>`, or a plain element id. Ids with characters
/// outside `[A-Za-z0-9._-]` are ignored (imported files cannot inject CSS).
pub fn highlight_selector(id: &str) -> Option<String> {
    if !safe_token(id) {
        return None;
    }
    let sel = if let Some(rest) = id.strip_prefix("partition-") {
        format!("[data-testid=\"partition\"][data-partition=\"{rest}\"]")
    } else if let Some(rest) = id.strip_prefix("consumer-") {
        format!("[data-testid=\"consumer-card\"][data-client-id=\"{rest}\"]")
    } else if let Some(rest) = id.strip_prefix("group-") {
        format!("[data-testid=\"group-panel\"][data-group=\"{rest}\"]")
    } else if let Some(rest) = id.strip_prefix("topic-") {
        format!("[data-testid=\"topic\"][data-topic=\"{rest}\"]")
    } else if let Some(rest) = id.strip_prefix("broker-") {
        format!("[data-broker=\"{rest}\"]")
    } else {
        format!("[id=\"{id}\"]")
    };
    Some(sel)
}

const LESSON_CSS: &str = "
.lessons { margin: 8px 16px 0; align-self: start; }
.lessons ul.picker { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
.lessons ul.picker li { border: 1px solid var(--border); border-radius: 8px; padding: 8px 10px; display: grid; gap: 6px; }
.lessons .concept { color: var(--muted); font-size: 13px; margin: 0; }
.lessons .narration { font-size: 16px; margin: 6px 0; }
.lessons .steps { display: flex; flex-wrap: wrap; gap: 4px; margin: 6px 0; padding: 0; list-style: none; }
.lessons .steps button { min-width: 2.2em; font-size: 12px; padding: 1px 6px; }
.lessons .steps button[aria-current=step] { background: var(--accent); color: #fff; border-color: var(--accent); }
.lessons .row { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.lessons .question { border-left: 4px solid var(--c1); padding: 4px 10px; margin: 8px 0; }
.lessons .choices button[aria-pressed=true] { border-color: var(--accent); border-width: 2px; }
.lessons .hint { color: var(--warn); }
.lessons .right { color: var(--ok); } .lessons .wrong { color: var(--danger); }
.lessons progress { width: 12em; }
";

/// The lesson being played.
#[derive(Clone, PartialEq)]
struct Active {
    id: String,
    lesson: Rc<Lesson>,
    step: usize,
    started_ms: u64,
    applied_at_entry: usize,
    /// Predicted time of the awaited event (`on_event` steps).
    event_at_ms: Option<u64>,
    choice: Option<String>,
    show_hint: bool,
    show_answer: bool,
}

thread_local! {
    /// The fragment this component last wrote, so its own `hashchange` is not followed.
    static LAST_HASH: std::cell::RefCell<Rc<String>> = std::cell::RefCell::new(Rc::new(String::new()));
}

fn set_hash(hash: &str) {
    LAST_HASH.with(|h| *h.borrow_mut() = Rc::new(hash.to_string()));
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(hash);
    }
}

fn current_hash() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

fn progress_key(id: &str) -> String {
    format!("grouplab.lesson.{id}")
}

fn furthest_step(id: &str) -> usize {
    use gloo::storage::{LocalStorage, Storage};
    LocalStorage::get::<usize>(progress_key(id)).unwrap_or(0)
}

fn remember_step(id: &str, step: usize) {
    use gloo::storage::{LocalStorage, Storage};
    if step > furthest_step(id) {
        let _ = LocalStorage::set(progress_key(id), step);
    }
}

/// Rebuilds the lab at step `n` of `lesson` and returns the new panel state.
///
/// The engine's scripted learner plays steps `0..n`; the lab is then restored from the
/// lesson's setup plus the commands it applied (same times, same order), so the event log,
/// the charts and rewinding work as for any simulation.
fn enter(lab_ctx: &LabContext, id: &str, lesson: &Rc<Lesson>, n: usize) -> Result<Active, String> {
    let run = LessonRun::at_step(lesson, n).map_err(|e| e.to_string())?;
    let step = run.step_index();
    let started_ms = run.step_started_ms();
    let event_at_ms = match &lesson.steps[step].advance {
        Advance::OnEvent { .. } if run.is_step_done() => Some(started_ms),
        Advance::OnEvent { pattern, within_ms } => predict_event(run.sim(), pattern, *within_ms).map(|(t, _)| t),
        _ => None,
    };
    let saved = SavedLab {
        format: SAVED_FORMAT.to_string(),
        version: SAVED_VERSION,
        seed: lesson.config.seed,
        scenario: lesson.scenario(),
        applied: run.applied().to_vec(),
        now_ms: run.sim().now_ms(),
    };
    let applied_at_entry = saved.applied.len();
    let lab = Lab::restore(saved).map_err(|e| format!("{}: step {}: {e}", lesson.file, step + 1))?;
    lab_ctx.dispatch(Action::Replace(Box::new(lab)));
    set_hash(&lesson_hash(id, step));
    remember_step(id, step);
    Ok(Active { id: id.to_string(), lesson: lesson.clone(), step, started_ms, applied_at_entry, event_at_ms, choice: None, show_hint: false, show_answer: false })
}

/// Lesson picker (no lesson running) or narration panel (a lesson running).
#[function_component(LessonArea)]
pub fn lesson_area() -> Html {
    let lab_ctx = use_context::<LabContext>().expect("lab context");
    let lessons = use_memo((), |_| bundled_lessons());
    let imported = use_state(Vec::<(String, Rc<Lesson>)>::new);
    let active = use_state(|| None::<Active>);
    let error = use_state(|| None::<String>);
    let open = use_state(|| true);
    let readers = use_mut_ref(Vec::<gloo::file::callbacks::FileReader>::new);

    let start = {
        let lab_ctx = lab_ctx.clone();
        let active = active.clone();
        let error = error.clone();
        Callback::from(move |(id, lesson, n): (String, Rc<Lesson>, usize)| match enter(&lab_ctx, &id, &lesson, n) {
            Ok(a) => {
                active.set(Some(a));
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        })
    };

    // Restore a lesson from the URL at load, and follow later URL changes (browser Back,
    // an edited or pasted link) that name another lesson step.
    {
        let lessons = lessons.clone();
        let imported = imported.clone();
        let start = start.clone();
        let error = error.clone();
        use_effect_with((), move |_| {
            let follow = move || {
                let hash = current_hash();
                if *LAST_HASH.with(|h| h.borrow().clone()) == hash {
                    return;
                }
                if let Some((id, step)) = parse_hash(&hash) {
                    match lessons.iter().chain(imported.iter()).find(|(i, _)| *i == id) {
                        Some((i, l)) => start.emit((i.clone(), l.clone(), step)),
                        None => error.set(Some(format!("No lesson named '{id}' in this GroupLab."))),
                    }
                }
            };
            follow();
            let listener = web_sys::window().map(|w| gloo::events::EventListener::new(&w, "hashchange", move |_| follow()));
            move || drop(listener)
        });
    }

    let error_html = match &*error {
        Some(e) => html! { <p class="wrong" role="alert" data-testid="lesson-error">{ e.clone() }</p> },
        None => html! {},
    };

    let Some(a) = (*active).clone() else {
        let on_import = {
            let imported = imported.clone();
            let error = error.clone();
            let start = start.clone();
            let readers = readers.clone();
            Callback::from(move |e: Event| {
                let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
                let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                let name = file.name();
                let file = gloo::file::File::from(file);
                let imported = imported.clone();
                let error = error.clone();
                let start = start.clone();
                let reader = gloo::file::callbacks::read_as_text(&file, move |res| match res {
                    Err(e) => error.set(Some(format!("{name}: cannot read the file: {e}"))),
                    Ok(text) => match Lesson::from_json(&name, &text) {
                        Err(e) => error.set(Some(format!("Lesson not loaded: {e}"))),
                        Ok(l) => {
                            let id = name.trim_end_matches(".json").to_string();
                            let l = Rc::new(l);
                            let mut list = (*imported).clone();
                            list.retain(|(i, _)| *i != id);
                            list.push((id.clone(), l.clone()));
                            imported.set(list);
                            start.emit((id, l, 0));
                        }
                    },
                });
                readers.borrow_mut().push(reader);
                input.set_value("");
            })
        };
        let toggle = {
            let open = open.clone();
            Callback::from(move |_| open.set(!*open))
        };
        let items = lessons.iter().chain(imported.iter()).map(|(id, l)| {
            let start = start.clone();
            let (id2, l2) = (id.clone(), l.clone());
            let reached = furthest_step(id).min(l.steps.len().saturating_sub(1));
            let resume = {
                let start = start.clone();
                let (id3, l3) = (id.clone(), l.clone());
                Callback::from(move |_| start.emit((id3.clone(), l3.clone(), reached)))
            };
            html! {
                <li data-testid="lesson-item" data-lesson={id.clone()}>
                    <strong>{ l.title.clone() }</strong>
                    <p class="concept">{ l.concept.clone() }</p>
                    <div class="row">
                        <button class="primary" aria-label={format!("Start lesson {}", l.title)}
                            onclick={Callback::from(move |_| start.emit((id2.clone(), l2.clone(), 0)))}>{ "Start" }</button>
                        if reached > 0 {
                            <button onclick={resume}>{ format!("Resume at step {}", reached + 1) }</button>
                        }
                        <progress max={l.steps.len().to_string()} value={(reached + usize::from(reached > 0)).to_string()}
                            aria-label={format!("Progress in {}", l.title)}></progress>
                    </div>
                </li>
            }
        });
        return html! {
            <section class="lessons panel" aria-label="Lessons" data-testid="lesson-picker">
                <style>{ LESSON_CSS }</style>
                <h2>{ "Lessons" } <small>{ "guided tours over the live simulation" }</small>
                    <button onclick={toggle} aria-expanded={(*open).to_string()}>{ if *open { "Hide" } else { "Show" } }</button></h2>
                { error_html }
                if *open {
                    <ul class="picker">{ for items }</ul>
                    <p class="row"><label>{ "Import a lesson file: " }
                        <input type="file" accept=".json,application/json" onchange={on_import} data-testid="lesson-import" /></label></p>
                }
            </section>
        };
    };

    // A lesson is running.
    let lesson = a.lesson.clone();
    let total = lesson.steps.len();
    let step = &lesson.steps[a.step];
    let (now_ms, learner_acted) = {
        let lab = lab_ctx.lab.borrow();
        let acted = match &step.advance {
            Advance::OnAction(want) => lab.applied.get(a.applied_at_entry..).is_some_and(|xs| xs.iter().any(|tc| action_matches(want, &tc.command))),
            _ => false,
        };
        (lab.now_ms(), acted)
    };
    let done = match &step.advance {
        Advance::Next => true,
        Advance::AfterMs(ms) => now_ms >= a.started_ms.saturating_add(*ms),
        Advance::OnEvent { .. } => a.event_at_ms.is_some_and(|t| now_ms >= t),
        Advance::OnAction(_) => learner_acted,
    };
    let last = a.step + 1 == total;
    // The asked action as JSON, for tests and assistive tools.
    let action_json = match &step.advance {
        Advance::OnAction(c) => serde_json::to_string(c).ok(),
        _ => None,
    };

    let go = |n: usize| {
        let start = start.clone();
        let (id, l) = (a.id.clone(), a.lesson.clone());
        Callback::from(move |_: MouseEvent| start.emit((id.clone(), l.clone(), n)))
    };
    let advance_by = |ms: u64| {
        let lab_ctx = lab_ctx.clone();
        Callback::from(move |_: MouseEvent| lab_ctx.dispatch(Action::AdvanceBy(ms)))
    };
    let leave = {
        let active = active.clone();
        Callback::from(move |_: MouseEvent| {
            set_hash("");
            active.set(None);
        })
    };
    let update = |f: fn(&mut Active, Option<String>), v: Option<String>| {
        let active = active.clone();
        let a = a.clone();
        Callback::from(move |_: MouseEvent| {
            let mut b = a.clone();
            f(&mut b, v.clone());
            active.set(Some(b));
        })
    };

    let waiting = match &step.advance {
        Advance::Next => html! {},
        Advance::AfterMs(ms) if !done => {
            let left = a.started_ms.saturating_add(*ms).saturating_sub(now_ms);
            html! { <button onclick={advance_by(left)} data-testid="lesson-play">{ format!("▶ Play {} s", left.div_ceil(1000)) }</button> }
        }
        Advance::OnEvent { .. } if !done => match a.event_at_ms {
            Some(t) => html! { <button onclick={advance_by(t.saturating_sub(now_ms))} data-testid="lesson-play">{ "▶ Play until it happens" }</button> },
            None => html! { <span class="hint">{ "The simulation went another way; restart this step." }</span> },
        },
        Advance::OnAction(_) if !done => html! {
            <>
                <span>{ "Your turn." }</span>
                if a.show_hint {
                    <span class="hint" data-testid="lesson-hint">{ step.hint.clone().unwrap_or_default() }</span>
                } else {
                    <button onclick={update(|b, _| b.show_hint = true, None)}>{ "Hint" }</button>
                }
            </>
        },
        _ => html! { <span class="right" data-testid="lesson-step-done">{ "✓ done" }</span> },
    };

    let question = step.question.as_ref().map(|q| {
        let revealed = done && (a.choice.is_some() || a.show_answer);
        let answer = if revealed {
            let lab = lab_ctx.lab.borrow();
            Some(q.answer_from.eval(&lab.sim).map(|v| v.to_string()).unwrap_or_else(|e| format!("unavailable ({e})")))
        } else {
            None
        };
        let choices = q.choices.iter().map(|c| {
            let pressed = a.choice.as_deref() == Some(c.as_str());
            html! {
                <button aria-pressed={pressed.to_string()} disabled={revealed}
                    onclick={update(|b, v| b.choice = v, Some(c.clone()))}>{ c.clone() }</button>
            }
        });
        html! {
            <div class="question" data-testid="lesson-question">
                <p><strong>{ q.prompt.clone() }</strong></p>
                <div class="row choices" role="group" aria-label="Choices">{ for choices }</div>
                if let Some(ans) = answer {
                    <p data-testid="lesson-answer" data-answer={ans.clone()}>
                        { "The engine says: " }<strong>{ ans.clone() }</strong>{ " " }
                        { match &a.choice {
                            Some(c) if *c == ans => html! { <span class="right">{ "— you were right." }</span> },
                            Some(_) => html! { <span class="wrong">{ "— not what you picked." }</span> },
                            None => html! {},
                        } }
                    </p>
                } else if done {
                    <button onclick={update(|b, _| b.show_answer = true, None)}>{ "Show the answer" }</button>
                } else {
                    <p class="concept">{ "Pick an answer, then let the simulation run to see." }</p>
                }
            </div>
        }
    });

    let highlight_css: Vec<String> = step.highlight.iter().filter_map(|h| highlight_selector(h)).collect();
    let highlight_style = if highlight_css.is_empty() {
        String::new()
    } else {
        format!("{} {{ outline: 3px solid var(--c1); outline-offset: 2px; border-radius: 6px; }}", highlight_css.join(", "))
    };
    let step_buttons = (0..total).map(|i| {
        html! {
            <li><button onclick={go(i)} aria-label={format!("Go to step {}", i + 1)}
                aria-current={if i == a.step { Some(AttrValue::from("step")) } else { None }}>{ i + 1 }</button></li>
        }
    });

    html! {
        <section class="lessons panel" aria-label="Lesson" data-testid="lesson-panel" data-lesson={a.id.clone()}
            data-step={(a.step + 1).to_string()} data-done={done.to_string()}
            data-total={total.to_string()} data-action={action_json}>
            <style>{ LESSON_CSS }{ highlight_style }</style>
            <h2>{ lesson.title.clone() }
                <small data-testid="lesson-progress">{ format!("step {} of {}", a.step + 1, total) }</small>
                <progress max={total.to_string()} value={(a.step + 1).to_string()} aria-label="Lesson progress"></progress>
            </h2>
            { error_html }
            <ol class="steps" aria-label="Steps">{ for step_buttons }</ol>
            <p class="narration" data-testid="lesson-narration">{ step.narration.clone() }</p>
            { for question }
            <div class="row">
                <button onclick={go(a.step.saturating_sub(1))} disabled={a.step == 0}>{ "◀ Back" }</button>
                { waiting }
                if last {
                    <button class="primary" onclick={leave.clone()} data-testid="lesson-finish">{ "Free playground" }</button>
                } else {
                    <button class="primary" onclick={go(a.step + 1)} disabled={!done} data-testid="lesson-next">{ "Next ▶" }</button>
                }
                <button onclick={leave} aria-label="Leave the lesson">{ "Leave lesson" }</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_lesson_parses() {
        assert_eq!(bundled_lessons().len(), BUNDLED.len());
    }

    #[test]
    fn hash_round_trip() {
        assert_eq!(parse_hash(&lesson_hash("broker-crash", 3)), Some(("broker-crash".into(), 3)));
        assert_eq!(parse_hash("#lesson=x"), Some(("x".into(), 0)));
        assert_eq!(parse_hash("#step=2"), None);
        assert_eq!(parse_hash("#lesson=x&step=zz"), Some(("x".into(), 0)));
    }

    #[test]
    fn highlight_ids_become_safe_selectors() {
        assert_eq!(highlight_selector("consumer-C1").unwrap(), "[data-testid=\"consumer-card\"][data-client-id=\"C1\"]");
        assert_eq!(highlight_selector("partition-orders-2").unwrap(), "[data-testid=\"partition\"][data-partition=\"orders-2\"]");
        assert!(highlight_selector("x\"] { color: red }").is_none());
        assert!(highlight_selector("").is_none());
    }
}
