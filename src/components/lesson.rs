//! Guided lessons in the UI: the lesson picker on the start page and the narration panel.
//!
//! The lessons are the engine's [`Lesson`] files in `static/scenarios/` (copied to `dist/scenarios/`
//! and fetched when a lesson starts; [`BUNDLED`] lists them for the picker). Entering a
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
use super::{use_keyed_effect, EffectKey};
use crate::state::{Action, LabContext};

/// What the start-page picker shows about a bundled lesson without loading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonInfo {
    /// URL id; the file is `scenarios/<id>.json` in `dist/` (copied from `static/scenarios/`).
    pub id: &'static str,
    /// The lesson's `title`.
    pub title: &'static str,
    /// The lesson's `concept`.
    pub concept: &'static str,
    /// Number of steps.
    pub steps: usize,
}

/// The bundled lessons, in teaching order. The files themselves are fetched when a lesson is
/// started (keeping ~70 KB of JSON out of the wasm); the native test
/// `bundled_table_matches_the_files` checks this table against `static/scenarios/`.
pub const BUNDLED: &[LessonInfo] = &[
    LessonInfo {
        id: "consumer-groups",
        title: "Consumer groups share the load",
        concept: "The consumers of one group split a topic's partitions between them: each partition has one owner in the group, and adding consumers spreads the work.",
        steps: 6,
    },
    LessonInfo {
        id: "several-groups",
        title: "Several groups on one topic",
        concept: "Every consumer group reads every record of the topics it subscribes to; groups are independent and keep their own offsets per partition.",
        steps: 5,
    },
    LessonInfo {
        id: "failover",
        title: "Failover: a crashed consumer and at-least-once",
        concept: "A consumer that dies silently is noticed only after session.timeout.ms; its partitions move to the survivors, which restart from the last committed offsets and process some records again.",
        steps: 6,
    },
    LessonInfo {
        id: "offsets",
        title: "Offset management: commits in __consumer_offsets",
        concept: "A group's committed offsets are records in the compacted topic __consumer_offsets; a restarted consumer resumes from them, and when you commit decides between duplicates and losses.",
        steps: 7,
    },
    LessonInfo {
        id: "what-consumers-see",
        title: "What consumers can see: the high watermark",
        concept: "Consumers read only below the high watermark: the offset every in-sync replica has copied. acks=all and min.insync.replicas decide when a write counts.",
        steps: 10,
    },
    LessonInfo {
        id: "cardinality",
        title: "More consumers than partitions: idle consumers",
        concept: "A partition has at most one owner per group, so consumers beyond the partition count sit idle, ready to take over when another fails.",
        steps: 5,
    },
    LessonInfo {
        id: "multi-threaded",
        title: "Multi-threaded consumers: thread per consumer vs a worker pool",
        concept: "Scaling with more consumers keeps each partition's order; one consumer feeding a worker pool processes records of the same key out of order, and its commits run ahead of processing.",
        steps: 5,
    },
    LessonInfo {
        id: "eager-vs-cooperative",
        title: "Eager vs cooperative rebalancing",
        concept: "An eager rebalance revokes every partition from every member before reassigning; a cooperative one revokes only the partitions that move, so the others keep being read.",
        steps: 4,
    },
    LessonInfo {
        id: "static-membership",
        title: "Static membership: a restart without a rebalance",
        concept: "A consumer with a group.instance.id is a static member: restarted within session.timeout.ms it takes its place back, with its partitions, and the group does not rebalance.",
        steps: 6,
    },
    LessonInfo {
        id: "max-poll-interval",
        title: "A stuck consumer and max.poll.interval.ms",
        concept: "Heartbeats only prove the process is alive; a consumer that stops calling poll() for longer than max.poll.interval.ms leaves the group and its partitions move.",
        steps: 6,
    },
    LessonInfo {
        id: "broker-crash",
        title: "A broker crash: leader election, coordinator failover, unclean election",
        concept: "When a broker dies the controller fences it and elects new leaders from the ISR; group coordinators move with the __consumer_offsets leaders; an unclean election trades lost records for availability.",
        steps: 9,
    },
    LessonInfo {
        id: "classic-figure",
        title: "The classic picture: two groups on four partitions",
        concept: "Two consumer groups read the same topic independently; inside each group every partition has exactly one owner.",
        steps: 6,
    },
    LessonInfo {
        id: "reset-offsets",
        title: "Replaying a topic: resetting offsets",
        concept: "kafka-consumer-groups.sh --reset-offsets moves an inactive group's committed offsets (dry run first, then --execute); the consumers then reprocess from there, and lag in seconds shows how far behind in time the group is.",
        steps: 11,
    },
    LessonInfo {
        id: "consumer-protocol",
        title: "The consumer protocol (KIP-848)",
        concept: "With group.protocol=consumer the coordinator assigns and every member reconciles on its own, revoking before anyone else receives: no join barrier, and a slow member holds back only its own partitions.",
        steps: 8,
    },
    LessonInfo {
        id: "share-groups",
        title: "Share groups: queues on Kafka",
        concept: "A share group's consumers read the same partitions together: each record is acquired under a lock, acknowledged one by one, redelivered when the lock expires, and archived after the delivery limit; idle consumers become useful, per-key order is gone.",
        steps: 7,
    },
];

/// The URL of a bundled lesson's file, relative to the page.
pub fn lesson_url(id: &str) -> String {
    format!("scenarios/{id}.json")
}

/// Fetches and parses a bundled lesson's file; the error names the file and what went wrong.
async fn fetch_lesson(id: &str) -> Result<Lesson, String> {
    use wasm_bindgen_futures::JsFuture;
    let url = lesson_url(id);
    let fail = |why: String| format!("Could not load lesson '{id}' ({url}): {why}");
    let js_err = |e: wasm_bindgen::JsValue| e.as_string().or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))).unwrap_or_else(|| "network error".to_string());
    let window = web_sys::window().ok_or_else(|| fail("no window".to_string()))?;
    let resp = JsFuture::from(window.fetch_with_str(&url)).await.map_err(|e| fail(js_err(e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| fail("not a response".to_string()))?;
    if !resp.ok() {
        return Err(fail(format!("HTTP {}", resp.status())));
    }
    let text = JsFuture::from(resp.text().map_err(|e| fail(js_err(e)))?).await.map_err(|e| fail(js_err(e)))?;
    let text = text.as_string().ok_or_else(|| fail("not text".to_string()))?;
    Lesson::from_json(&format!("{id}.json"), &text).map_err(|e| format!("Lesson not loaded: {e}"))
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
        format!("[data-testid=\"consumer-card\"][data-client-id=\"{rest}\"], [data-testid=\"topology-consumer\"][data-client-id=\"{rest}\"] rect")
    } else if let Some(rest) = id.strip_prefix("group-") {
        format!("[data-testid=\"group-panel\"][data-group=\"{rest}\"], [data-testid=\"topology-group\"][data-group=\"{rest}\"] > rect")
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

/// Which lesson step a hint timer is for.
fn hint_key(a: &Active) -> String {
    format!("{} {}", a.step, a.id)
}

/// Real milliseconds a "your turn" step waits before showing its hint by itself.
pub const HINT_DELAY_MS: u32 = 20_000;

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

/// The furthest step reached in lesson `id` (stored as the JSON number, e.g. `3`; read and
/// written as raw text: a number's JSON is its digits, and this keeps serde out of it).
fn furthest_step(id: &str) -> usize {
    use gloo::storage::{LocalStorage, Storage};
    let stored = LocalStorage::raw().get_item(&progress_key(id)).ok().flatten();
    stored.and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn remember_step(id: &str, step: usize) {
    use gloo::storage::{LocalStorage, Storage};
    if step > furthest_step(id) {
        let _ = LocalStorage::raw().set_item(&progress_key(id), &step.to_string());
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
    let lab_ctx = use_context::<super::ViewContext>().expect("view context").state;
    let imported = use_state(Vec::<(String, Rc<Lesson>)>::new);
    let active = use_state(|| None::<Active>);
    let error = use_state(|| None::<String>);
    let loading = use_state(|| None::<String>);
    // Bundled lessons fetched so far (each file is fetched once per page).
    let fetched = use_mut_ref(Vec::<(String, Rc<Lesson>)>::new);
    let open = use_state(|| true);
    let readers = use_mut_ref(Vec::<gloo::file::callbacks::FileReader>::new);
    // The hint of a "your turn" step shows by itself after HINT_DELAY_MS of real time.
    let hint_due = use_state(|| None::<String>);
    {
        let current = (*active).as_ref().map(hint_key);
        let hint_due = hint_due.clone();
        use_keyed_effect(
            EffectKey::Key(current.clone().unwrap_or_default()),
            Box::new(move || {
                let timeout = current.map(|key| gloo::timers::callback::Timeout::new(HINT_DELAY_MS, move || hint_due.set(Some(key))));
                Box::new(move || drop(timeout))
            }),
        );
    }

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

    // Opens step `n` of a bundled lesson, fetching its file first if needed.
    let open_bundled = {
        let start = start.clone();
        let error = error.clone();
        let loading = loading.clone();
        Callback::from(move |(info, n): (&'static LessonInfo, usize)| {
            if let Some((_, l)) = fetched.borrow().iter().find(|(i, _)| i == info.id) {
                start.emit((info.id.to_string(), l.clone(), n));
                return;
            }
            loading.set(Some(info.title.to_string()));
            let (start, error, loading, fetched) = (start.clone(), error.clone(), loading.clone(), fetched.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = fetch_lesson(info.id).await;
                loading.set(None);
                match result {
                    Ok(l) => {
                        let l = Rc::new(l);
                        fetched.borrow_mut().push((info.id.to_string(), l.clone()));
                        start.emit((info.id.to_string(), l, n));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    // Restore a lesson from the URL at load, and follow later URL changes (browser Back,
    // an edited or pasted link) that name another lesson step.
    {
        let open_bundled = open_bundled.clone();
        let error = error.clone();
        use_keyed_effect(EffectKey::Key(String::new()), Box::new(move || {
            let follow = move || {
                let hash = current_hash();
                if *LAST_HASH.with(|h| h.borrow().clone()) == hash {
                    return;
                }
                if let Some((id, step)) = parse_hash(&hash) {
                    match BUNDLED.iter().find(|l| l.id == id) {
                        Some(info) => open_bundled.emit((info, step)),
                        None => error.set(Some(format!("No lesson named '{id}' in this GroupLab."))),
                    }
                }
            };
            follow();
            let listener = web_sys::window().map(|w| gloo::events::EventListener::new(&w, "hashchange", move |_| follow()));
            Box::new(move || drop(listener))
        }));
    }

    let error_html = match (&*error, &*loading) {
        (_, Some(title)) => html! { <p class="concept" role="status" data-testid="lesson-loading">{ format!("Loading the lesson \u{201c}{title}\u{201d}\u{2026}") }</p> },
        (Some(e), None) => html! { <p class="wrong" role="alert" data-testid="lesson-error">{ e.clone() }</p> },
        (None, None) => html! {},
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
        let bundled = BUNDLED.iter().map(|info| {
            let open_bundled = open_bundled.clone();
            picker_item(info.id, info.title, info.concept, info.steps, Callback::from(move |n| open_bundled.emit((info, n))))
        });
        let imported_items = imported.iter().map(|(id, l)| {
            let start = start.clone();
            let (id2, l2) = (id.clone(), l.clone());
            picker_item(id, &l.title, &l.concept, l.steps.len(), Callback::from(move |n| start.emit((id2.clone(), l2.clone(), n))))
        });
        let items = bundled.chain(imported_items).collect::<Html>();
        return html! {
            <section class="lessons panel" aria-label="Lessons" data-testid="lesson-picker">
                <style>{ LESSON_CSS }</style>
                <h2>{ "Lessons" }<small>{ "guided tours over the live simulation" }</small>
                    <button onclick={toggle} aria-expanded={if *open { "true" } else { "false" }}>{ if *open { "Hide" } else { "Show" } }</button></h2>
                { error_html }
                if *open {
                    <ul class="picker">{ items }</ul>
                    <p class="row"><label>{ "Import a lesson file: " }
                        <input type="file" accept=".json,application/json" onchange={on_import} data-testid="lesson-import" /></label></p>
                }
            </section>
        };
    };
    lesson_panel(&lab_ctx, &active, &start, &hint_due, &a, error_html)
}

/// One picker entry: id, title, concept, step count and how to open step `n`.
fn picker_item(id: &str, title: &str, concept: &str, steps: usize, open: Callback<usize>) -> Html {
    let reached = furthest_step(id).min(steps.saturating_sub(1));
    let (open0, resume) = (open.clone(), open);
    html! {
        <li data-testid="lesson-item" data-lesson={id.to_string()}>
            <strong>{ title }</strong>
            <p class="concept">{ concept }</p>
            <div class="row">
                <button class="primary" aria-label={format!("Start lesson {title}")} onclick={Callback::from(move |_| open0.emit(0))}>{ "Start" }</button>
                if reached > 0 {
                    <button onclick={Callback::from(move |_| resume.emit(reached))}>{ format!("Resume at step {}", reached + 1) }</button>
                }
                <progress max={steps.to_string()} value={(reached + usize::from(reached > 0)).to_string()}
                    aria-label={format!("Progress in {title}")}></progress>
            </div>
        </li>
    }
}

/// The narration panel of the running lesson `a`.
fn lesson_panel(lab_ctx: &LabContext, active: &UseStateHandle<Option<Active>>, start: &Callback<(String, Rc<Lesson>, usize)>, hint_due: &UseStateHandle<Option<String>>, a: &Active, error_html: Html) -> Html {
    let lesson = &a.lesson;
    let total = lesson.steps.len();
    let step = &lesson.steps[a.step];
    let (now_ms, learner_acted) = {
        let lab = lab_ctx.lab.borrow();
        let acted = match &step.advance {
            Advance::OnAction(want) => lab.applied().get(a.applied_at_entry..).is_some_and(|xs| xs.iter().any(|tc| action_matches(want, &tc.command))),
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
        Advance::OnAction(c) => Some(c.to_json()),
        _ => None,
    };
    let go = |n: usize| go_to_step(start, a, n);
    let leave = {
        let active = active.clone();
        Callback::from(move |_: MouseEvent| {
            set_hash("");
            active.set(None);
        })
    };
    let waiting = match &step.advance {
        Advance::Next => html! {},
        Advance::AfterMs(ms) if !done => {
            let left = a.started_ms.saturating_add(*ms).saturating_sub(now_ms);
            html! { <button data-testid="lesson-play" onclick={advance_by(lab_ctx, left)}>{ format!("▶ Play {} s", left.div_ceil(1000)) }</button> }
        }
        Advance::OnEvent { .. } if !done => match a.event_at_ms {
            Some(t) => html! { <button data-testid="lesson-play" onclick={advance_by(lab_ctx, t.saturating_sub(now_ms))}>{ "▶ Play until it happens" }</button> },
            None => html! { <span class="hint">{ "The simulation went another way; restart this step." }</span> },
        },
        Advance::OnAction(_) if !done => html! {
            <>
                <span>{ "Your turn." }</span>
                if a.show_hint || hint_due.as_ref() == Some(&hint_key(a)) {
                    <span class="hint" data-testid="lesson-hint">{ step.hint.as_deref().unwrap_or_default() }</span>
                } else {
                    <button onclick={update(active, a, |b, _| b.show_hint = true, None)}>{ "Hint" }</button>
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
                <button aria-pressed={if pressed { "true" } else { "false" }} disabled={revealed}
                    onclick={update(active, a, |b, v| b.choice = v, Some(c.clone()))}>{ c.clone() }</button>
            }
        });
        html! {
            <div class="question" data-testid="lesson-question">
                <p><strong>{ &q.prompt }</strong></p>
                <div class="row choices" role="group" aria-label="Choices">{ for choices }</div>
                if let Some(ans) = answer {
                    <p data-testid="lesson-answer" data-answer={ans.clone()}>
                        { "The engine says: " }<strong>{ &ans }</strong>{ " " }
                        { match &a.choice {
                            Some(c) if *c == ans => html! { <span class="right">{ "— you were right." }</span> },
                            Some(_) => html! { <span class="wrong">{ "— not what you picked." }</span> },
                            None => html! {},
                        } }
                    </p>
                } else if done {
                    <button onclick={update(active, a, |b, _| b.show_answer = true, None)}>{ "Show the answer" }</button>
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
        format!("{} {{ outline: 3px solid var(--c1); outline-offset: 2px; border-radius: 6px; stroke: var(--c1); stroke-width: 3px; }}", highlight_css.join(", "))
    };
    let step_buttons = (0..total).map(|i| {
        html! {
            <li><button onclick={go(i)} aria-label={format!("Go to step {}", i + 1)}
                aria-current={(i == a.step).then_some("step")}>{ i + 1 }</button></li>
        }
    });

    html! {
        <section class="lessons panel" aria-label="Lesson" data-testid="lesson-panel" data-lesson={a.id.clone()}
            data-step={(a.step + 1).to_string()} data-done={if done { "true" } else { "false" }}
            data-total={total.to_string()} data-action={action_json}>
            <style>{ LESSON_CSS }{ highlight_style }</style>
            <h2>{ lesson.title.clone() }
                <small data-testid="lesson-progress">{ format!("step {} of {}", a.step + 1, total) }</small>
                <progress max={total.to_string()} value={(a.step + 1).to_string()} aria-label="Lesson progress"></progress>
            </h2>
            { error_html }
            <ol class="steps" aria-label="Steps">{ for step_buttons }</ol>
            <p class="narration" data-testid="lesson-narration">{ &step.narration }</p>
            { for question }
            <div class="row">
                <button disabled={a.step == 0} onclick={go(a.step.saturating_sub(1))}>{ "◀ Back" }</button>
                { waiting }
                if last {
                    <button class="primary" data-testid="lesson-finish" onclick={leave.clone()}>{ "Free playground" }</button>
                } else {
                    <button class="primary" data-testid="lesson-next" disabled={!done} onclick={go(a.step + 1)}>{ "Next ▶" }</button>
                }
                <button aria-label="Leave the lesson" onclick={leave}>{ "Leave lesson" }</button>
            </div>
        </section>
    }
}

/// Opens step `n` of the running lesson.
fn go_to_step(start: &Callback<(String, Rc<Lesson>, usize)>, a: &Active, n: usize) -> Callback<MouseEvent> {
    let start = start.clone();
    let (id, l) = (a.id.clone(), a.lesson.clone());
    Callback::from(move |_: MouseEvent| start.emit((id.clone(), l.clone(), n)))
}

/// Plays `ms` of simulated time.
fn advance_by(lab_ctx: &LabContext, ms: u64) -> Callback<MouseEvent> {
    let lab_ctx = lab_ctx.clone();
    Callback::from(move |_: MouseEvent| lab_ctx.dispatch(Action::AdvanceBy(ms)))
}

/// Changes the running lesson's panel state with `f` (given `v`).
fn update(active: &UseStateHandle<Option<Active>>, a: &Active, f: fn(&mut Active, Option<String>), v: Option<String>) -> Callback<MouseEvent> {
    let active = active.clone();
    let a = a.clone();
    Callback::from(move |_: MouseEvent| {
        let mut b = a.clone();
        f(&mut b, v.clone());
        active.set(Some(b));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picker's table says what the files in `static/scenarios/` say, and every file parses.
    #[test]
    fn bundled_table_matches_the_files() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/static/scenarios");
        for info in BUNDLED {
            let path = format!("{dir}/{}.json", info.id);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let lesson = Lesson::from_json(&format!("{}.json", info.id), &text).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(info.title, lesson.title, "{path}: title");
            assert_eq!(info.concept, lesson.concept, "{path}: concept");
            assert_eq!(info.steps, lesson.steps.len(), "{path}: step count");
            assert_eq!(lesson_url(info.id), format!("scenarios/{}.json", info.id));
        }
        // Every lesson file in the directory is in the table (the playground is a plain scenario).
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && n != "playground.json")
            .collect();
        files.sort();
        let mut ids: Vec<String> = BUNDLED.iter().map(|l| format!("{}.json", l.id)).collect();
        ids.sort();
        assert_eq!(files, ids);
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
        assert_eq!(highlight_selector("consumer-C1").unwrap(), "[data-testid=\"consumer-card\"][data-client-id=\"C1\"], [data-testid=\"topology-consumer\"][data-client-id=\"C1\"] rect");
        assert_eq!(highlight_selector("partition-orders-2").unwrap(), "[data-testid=\"partition\"][data-partition=\"orders-2\"]");
        assert!(highlight_selector("x\"] { color: red }").is_none());
        assert!(highlight_selector("").is_none());
    }
}
