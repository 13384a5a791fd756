//! The root component: one shared state, a ticking clock while playing, the page layout.

use crate::components::{groups::GroupsPanel, lesson::LessonArea, toolbar::Toolbar, topics::TopicsPanel};
use crate::model::{default_scenario, Lab};
use crate::state::{Action, LabContext, LabState};
use gloo::timers::callback::Interval;
use yew::prelude::*;

/// Real milliseconds between two ticks of the simulated clock while playing.
pub const TICK_MS: u32 = 50;

fn initial_lab() -> Lab {
    Lab::new(default_scenario()).expect("the bundled playground scenario runs")
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| LabState::new(initial_lab()));
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let interval = Interval::new(TICK_MS, move || state.dispatch(Action::Tick(TICK_MS as f64)));
            move || drop(interval)
        });
    }
    html! {
        <ContextProvider<LabContext> context={state}>
            <div class="app" data-testid="app-ready">
                <Toolbar />
                <ErrorBanner />
                <LessonArea />
                <main class="grid">
                    <TopicsPanel />
                    <GroupsPanel />
                </main>
            </div>
        </ContextProvider<LabContext>>
    }
}

#[function_component(ErrorBanner)]
fn error_banner() -> Html {
    let state = use_context::<LabContext>().expect("lab context");
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
