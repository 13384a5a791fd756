//! Play / pause / step / advance and the simulated clock.

use crate::model::ADVANCE_STEP_MS;
use crate::state::{Action, LabContext};
use yew::prelude::*;

/// `12.345 s` style clock text.
pub fn format_time(now_ms: u64) -> String {
    format!("{}.{:03} s", now_ms / 1000, now_ms % 1000)
}

#[function_component(Toolbar)]
pub fn toolbar() -> Html {
    let state = use_context::<LabContext>().expect("lab context");
    let (now_ms, playing, speed) = {
        let lab = state.lab.borrow();
        (lab.now_ms(), lab.playing, lab.speed)
    };
    let dispatch = |action: fn() -> Action| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(action()))
    };
    html! {
        <header class="top">
            <h1>{ "Group" }<span>{ "Lab" }</span></h1>
            <div class="toolbar" role="toolbar" aria-label="Simulated time">
                <button class="primary" onclick={dispatch(|| Action::TogglePlay)}
                    aria-label={ if playing { "Pause" } else { "Play" } }>
                    { if playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button onclick={dispatch(|| Action::Step)} aria-label="Step to next event"
                    title="Jump to the next scheduled event">{ "⏭ Step" }</button>
                <button onclick={dispatch(|| Action::AdvanceBy(ADVANCE_STEP_MS))} aria-label="Advance 1 s"
                    title="Move simulated time forward by one second">{ "+1 s" }</button>
                <span class="clock" data-testid="clock" title="Simulated time since the start">{ format_time(now_ms) }</span>
                <span class="status">{ format!("speed {speed}×") }</span>
            </div>
        </header>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_text() {
        assert_eq!(super::format_time(45_007), "45.007 s");
    }
}
