//! A terminal that takes Kafka's own command lines (`kafka-consumer-groups.sh`,
//! `kafka-share-groups.sh`, `kafka-topics.sh`) and prints what Kafka 4.x's tools print for the simulated cluster. The
//! engine's `tools` layer parses and answers; an `--execute` that changes the cluster hands back
//! an engine command, applied here through the reducer like any other action (so it is in the
//! timeline, rewinds and shares). ↑/↓ walk the line history; `help` lists what is supported;
//! `clear` empties the screen.

use super::ViewContext;
use crate::state::apply_command;
use grouplab_engine::tools;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Lines of history kept (and transcript entries shown).
pub const HISTORY: usize = 100;

/// One command line and what it printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at_ms: u64,
    pub line: String,
    pub stdout: String,
    pub stderr: String,
}

/// The terminal's memory: the transcript and where ↑/↓ are in the history.
#[derive(Default)]
struct Screen {
    entries: Vec<Entry>,
    history: Vec<String>,
    /// Index into `history` while walking it with ↑/↓ (`None`: at a fresh line).
    cursor: Option<usize>,
}

#[function_component(Terminal)]
pub fn terminal() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let screen = use_mut_ref(Screen::default);
    let input = use_state(String::new);
    let redraw = use_force_update();
    let output_ref = use_node_ref();
    let run = {
        let (state, screen, input, redraw) = (ctx.state.clone(), screen.clone(), input.clone(), redraw.clone());
        move |line: String| {
            let line = line.trim().to_string();
            let mut s = screen.borrow_mut();
            if !line.is_empty() && s.history.last() != Some(&line) {
                s.history.push(line.clone());
                if s.history.len() > HISTORY {
                    s.history.remove(0);
                }
            }
            s.cursor = None;
            if line == "clear" {
                s.entries.clear();
            } else if !line.is_empty() {
                let (at_ms, out) = {
                    let lab = state.lab.borrow();
                    (lab.now_ms(), tools::run_line(&lab.sim, &line))
                };
                let mut stderr = out.stderr;
                if let Some(command) = out.command {
                    if let Err(e) = apply_command(&state, command) {
                        stderr.push_str(&format!("Error: {e}\n"));
                    }
                }
                s.entries.push(Entry { at_ms, line, stdout: out.stdout, stderr });
                if s.entries.len() > HISTORY {
                    s.entries.remove(0);
                }
            }
            input.set(String::new());
            redraw.force_update();
        }
    };
    let onkeydown = {
        let (screen, input) = (screen.clone(), input.clone());
        Callback::from(move |e: KeyboardEvent| {
            let mut s = screen.borrow_mut();
            match e.key().as_str() {
                "Enter" => {
                    e.prevent_default();
                    drop(s);
                    run(e.target_unchecked_into::<web_sys::HtmlInputElement>().value());
                }
                "ArrowUp" if !s.history.is_empty() => {
                    e.prevent_default();
                    let i = s.cursor.map_or(s.history.len() - 1, |i| i.saturating_sub(1));
                    s.cursor = Some(i);
                    input.set(s.history[i].clone());
                }
                "ArrowDown" => {
                    e.prevent_default();
                    match s.cursor {
                        Some(i) if i + 1 < s.history.len() => {
                            s.cursor = Some(i + 1);
                            input.set(s.history[i + 1].clone());
                        }
                        _ => {
                            s.cursor = None;
                            input.set(String::new());
                        }
                    }
                }
                _ => {}
            }
        })
    };
    let oninput = {
        let input = input.clone();
        Callback::from(move |e: InputEvent| input.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()))
    };
    // Keep the newest output in sight.
    {
        let output_ref = output_ref.clone();
        let count = screen.borrow().entries.len();
        super::use_keyed_effect(super::EffectKey::Key(count.to_string()), Box::new(move || {
            if let Some(el) = output_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
            Box::new(|| ())
        }));
    }
    let entries: Rc<RefCell<Screen>> = screen;
    let s = entries.borrow();
    html! {
        <section id="terminal" class="panel terminal-panel" aria-labelledby="terminal-title" data-testid="terminal">
            <h2 id="terminal-title">{ "Terminal" }<small>{ "Kafka's tools against this cluster · type help · ↑/↓ history" }</small></h2>
            <div class="terminal-output" ref={output_ref} data-testid="terminal-output" role="log" aria-live="polite" aria-label="Terminal output">
                if s.entries.is_empty() {
                    <pre class="muted">{ "$ kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group my-group\n(type help for the supported commands)" }</pre>
                }
                { for s.entries.iter().map(|e| html! {
                    <div class="terminal-entry" data-testid="terminal-entry">
                        <pre class="prompt">{ format!("[{}] $ {}", super::toolbar::format_time(e.at_ms), e.line) }</pre>
                        if !e.stderr.is_empty() { <pre class="stderr" data-testid="terminal-stderr">{ e.stderr.clone() }</pre> }
                        if !e.stdout.is_empty() { <pre class="stdout" data-testid="terminal-stdout">{ e.stdout.clone() }</pre> }
                    </div>
                }) }
            </div>
            <div class="terminal-line">
                <span aria-hidden="true">{ "$" }</span>
                <input type="text" spellcheck="false" autocomplete="off" data-testid="terminal-input" aria-label="Terminal command line"
                    placeholder="kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list" value={(*input).clone()} {oninput} {onkeydown} />
            </div>
        </section>
    }
}
