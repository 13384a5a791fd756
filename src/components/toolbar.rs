//! The header: play / pause / step / speed, the timeline scrubber, the status line, and the
//! toolbar of actions (forms, file menu, theme, glossary, help).

use super::file_menu::FileMenu;
use super::forms::{AddGroupForm, AddProducerForm, AddShareGroupForm, CreateTopicForm};
use crate::model::{FastForward, FastForwardEnd, FastForwardTo, ADVANCE_STEP_MS, MAX_SPEED, MIN_SPEED};
use crate::state::{Action, LabContext};
use yew::prelude::*;

/// `12.345 s` style clock text.
pub fn format_time(now_ms: u64) -> String {
    format!("{}.{:03} s", now_ms / 1000, now_ms % 1000)
}

/// Speed as shown: `0.1×`, `2.5×`, `40×`, `1000×`.
pub fn format_speed(speed: f64) -> String {
    if speed >= 10.0 {
        format!("{:.0}×", speed)
    } else if speed >= 1.0 {
        format!("{}×", (speed * 10.0).round() / 10.0)
    } else {
        format!("{}×", (speed * 100.0).round() / 100.0)
    }
}

/// Slider position (log10 of the speed) → speed, snapped to a readable value.
pub fn slider_to_speed(position: f64) -> f64 {
    let raw = 10f64.powf(position);
    let digits = raw.log10().floor() - 1.0;
    let unit = 10f64.powf(digits);
    ((raw / unit).round() * unit).clamp(MIN_SPEED, MAX_SPEED)
}

/// What the page toolbar opens and switches.
pub struct ToolbarProps {
    pub on_help: Callback<()>,
    pub on_glossary: Callback<()>,
    pub on_theme: Callback<()>,
    pub dark: bool,
}

/// The header (a plain function: it has no state; the root renders it with every change).
pub fn toolbar(state: &LabContext, props: ToolbarProps) -> Html {
    let (now_ms, playing, speed, horizon_ms, in_past, events, measured, fast_forward, fast_forward_end) = {
        let lab = state.lab.borrow();
        (lab.now_ms(), lab.playing, lab.speed, lab.horizon_ms, lab.in_past(), lab.events.len(), lab.measured_speed, lab.fast_forward, lab.fast_forward_end)
    };
    let dispatch = |action: fn() -> Action| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(action()))
    };
    let on_speed = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<web_sys::HtmlInputElement>().value_as_number();
            state.dispatch(Action::SetSpeed(slider_to_speed(v)));
        })
    };
    let on_seek = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let v = e.target_unchecked_into::<web_sys::HtmlInputElement>().value_as_number();
            if v.is_finite() && v >= 0.0 {
                state.dispatch(Action::Seek(v as u64));
            }
        })
    };
    let back = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Seek(now_ms.saturating_sub(ADVANCE_STEP_MS))))
    };
    let to_live = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Seek(horizon_ms)))
    };
    // Fast-forward to the time typed, on Enter.
    let on_fast_forward = {
        let state = state.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                let s = e.target_unchecked_into::<web_sys::HtmlInputElement>().value_as_number();
                state.dispatch(if s.is_finite() && s >= 0.0 {
                    Action::FastForward(FastForwardTo::Time((s * 1000.0).round() as u64))
                } else {
                    Action::ShowError("fast-forward: enter a simulated time in seconds".into())
                });
            }
        })
    };
    let cb = |c: &Callback<()>| {
        let c = c.clone();
        Callback::from(move |_: MouseEvent| c.emit(()))
    };
    html! {
        <header class="top">
            <div class="row">
                <h1>{ "Group" }<span>{ "Lab" }</span></h1>
                <div class="toolbar" role="toolbar" aria-label="Simulated time">
                    <button class="primary play" aria-label={if playing { "Pause" } else { "Play" }} title="Space" data-testid="play"
                        onclick={dispatch(|| Action::TogglePlay)}>{ if playing { "❚❚ Pause" } else { "▶ Play" } }</button>
                    <button aria-label="Rewind 1 s" title="← : rewind one second" onclick={back}>{ "« 1 s" }</button>
                    <button aria-label="Step to next event" title="→ : jump to the next scheduled event" onclick={dispatch(|| Action::Step)}>{ "Step ›" }</button>
                    <button aria-label="Advance 1 s" title="Move simulated time forward by one second"
                        onclick={dispatch(|| Action::AdvanceBy(ADVANCE_STEP_MS))}>{ "+1 s" }</button>
                    <label class="ff" title="Fast-forward: type a simulated time and press Enter; the engine runs as fast as it can, the page stays responsive">
                        { "⏩ to " }<input type="number" min="0" step="any" value={(now_ms / 1000 + 60).to_string()}
                            aria-label="Fast-forward to (simulated seconds, Enter)" data-testid="ff-seconds" onkeydown={on_fast_forward} />{ " s" }</label>
                    <button title="f : fast-forward to just after the next rebalance of any group starts (looking one simulated hour ahead)"
                        data-testid="ff-rebalance" onclick={dispatch(|| Action::FastForward(FastForwardTo::NextRebalance))}>{ "⏩ next rebalance" }</button>
                    <label class="speed">
                        <span>{ "Speed" }</span>
                        <input type="range" min="-1" max="3" step="0.05" value={speed.log10().to_string()}
                            aria-label="Playback speed" aria-valuetext={format_speed(speed)} oninput={on_speed} data-testid="speed" />
                        <output data-testid="speed-value">{ format_speed(speed) }</output>
                    </label>
                </div>
                <div class="toolbar end" role="toolbar" aria-label="Page">
                    <button aria-label={if props.dark { "Switch to light theme" } else { "Switch to dark theme" }} title="t" data-testid="theme"
                        onclick={cb(&props.on_theme)}>{ if props.dark { "☀ Light" } else { "☾ Dark" } }</button>
                    <button aria-label="Open glossary" title="g" onclick={cb(&props.on_glossary)}>{ "Glossary" }</button>
                    <button aria-label="Keyboard shortcuts and help" title="?" onclick={cb(&props.on_help)}>{ "?" }</button>
                </div>
            </div>
            <div class="row timeline">
                <span class="clock" title="Simulated time since the start" data-testid="clock">{ format_time(now_ms) }</span>
                <input class="scrubber" type="range" min="0" max={horizon_ms.max(1).to_string()} step="1" value={now_ms.to_string()}
                    aria-label="Timeline: drag to rewind" aria-valuetext={format_time(now_ms)} oninput={on_seek} data-testid="scrubber" />
                <span class="status" data-testid="status">
                    if playing { { format!("▶ playing at {}", format_speed(speed)) } } else { { "❚❚ paused" } }
                    if let Some(reached) = measured.filter(|m| playing && *m < 0.9 * speed) {
                        <span class="warn" data-testid="measured-speed"
                            title="This simulation is too large for the asked speed in this browser: time runs as fast as the engine can go while the page stays responsive">
                            { format!(" (reaching {})", format_speed(reached)) }</span>
                    }
                    { format!(" · end {} · {} events", format_time(horizon_ms), events) }
                </span>
                if let Some(ff) = fast_forward {
                    { fast_forward_bar(&ff, now_ms, dispatch(|| Action::CancelFastForward)) }
                } else if let Some((end, at_ms)) = fast_forward_end {
                    <span class="ff-end" data-testid="ff-end">{ fast_forward_text(end, at_ms) }</span>
                }
                if in_past {
                    <span class="past" data-testid="past-banner">{ "Viewing the past: acting now discards the later timeline" }
                        <button aria-label="Jump to the end of the timeline" onclick={to_live}>{ "live »" }</button>
                    </span>
                }
            </div>
            <div class="row actionbar" role="toolbar" aria-label="Actions">
                <CreateTopicForm />
                <AddProducerForm />
                <AddGroupForm />
                <AddShareGroupForm />
                <FileMenu />
            </div>
        </header>
    }
}

/// The progress of a fast-forward under way, and its Cancel.
fn fast_forward_bar(ff: &FastForward, now_ms: u64, cancel: Callback<MouseEvent>) -> Html {
    let done = ff.progress(now_ms);
    let to = match ff.to {
        FastForwardTo::Time(t) => format_time(t),
        FastForwardTo::NextRebalance => format!("the next rebalance (by {})", format_time(ff.until_ms)),
    };
    html! {
        <span class="ff-run" role="status" data-testid="ff-run">
            { format!("⏩ to {to} ") }
            <progress max="1" value={done.to_string()} aria-label="Fast-forward progress" data-testid="ff-progress" />
            { format!(" {:.0}% ", done * 100.0) }
            <button onclick={cancel} data-testid="ff-cancel" title="Stop here: everything simulated so far stays">{ "Cancel" }</button>
        </span>
    }
}

/// How the last fast-forward ended.
pub fn fast_forward_text(end: FastForwardEnd, at_ms: u64) -> String {
    let at = format_time(at_ms);
    match end {
        FastForwardEnd::Reached => format!("⏩ fast-forwarded to {at}"),
        FastForwardEnd::Rebalance => format!("⏩ stopped at {at}: a rebalance started"),
        FastForwardEnd::NoRebalance => format!("⏩ no rebalance up to {at}"),
        FastForwardEnd::Cancelled => format!("⏩ cancelled at {at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_text() {
        assert_eq!(format_time(45_007), "45.007 s");
    }

    #[test]
    fn speed_slider_is_logarithmic_and_bounded() {
        assert_eq!(slider_to_speed(-1.0), 0.1);
        assert_eq!(slider_to_speed(0.0), 1.0);
        assert_eq!(slider_to_speed(1.0), 10.0);
        assert_eq!(slider_to_speed(3.0), 1000.0);
        assert_eq!(slider_to_speed(9.0), MAX_SPEED);
        assert_eq!(format_speed(0.25), "0.25×");
        assert_eq!(format_speed(2.5), "2.5×");
        assert_eq!(format_speed(40.0), "40×");
    }
}
