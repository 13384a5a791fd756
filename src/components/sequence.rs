//! A sequence diagram of one rebalance: the group's coordinator and each consumer as a lane,
//! time flowing down, one arrow per group-protocol message (JoinGroup, SyncGroup, Heartbeat,
//! OffsetCommit …, errors on the reply), read from the engine's message history
//! (`Sim::message_history`). Opened from a rebalance line of the event log.

use super::toolbar::format_time;
use super::ViewContext;
use crate::model::SequenceWindow;
use crate::state::Action;
use grouplab_engine::MessageView;
use yew::prelude::*;

/// Messages drawn at most (the first ones of the window).
pub const MAX_ARROWS: usize = 300;

const LANE_W: f64 = 190.0;
const TIME_W: f64 = 78.0;
const HEAD_H: f64 = 30.0;
const ROW_H: f64 = 20.0;

/// The lanes of a diagram: brokers first (by id), then consumers in order of first appearance.
pub fn lanes(messages: &[MessageView]) -> Vec<String> {
    let mut brokers: Vec<&str> = Vec::new();
    let mut clients: Vec<&str> = Vec::new();
    for m in messages {
        for end in [m.from.as_str(), m.to.as_str()] {
            let list = if end.starts_with("client ") { &mut clients } else { &mut brokers };
            if !list.contains(&end) {
                list.push(end);
            }
        }
    }
    grouplab_engine::kernel::sort::sort(&mut brokers);
    brokers.into_iter().chain(clients).map(str::to_string).collect()
}

#[function_component(SequencePanel)]
pub fn sequence_panel() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let window: Option<SequenceWindow> = ctx.state.lab.borrow().sequence.clone();
    let Some(w) = window else { return html! {} };
    let messages = ctx.state.lab.borrow().sim.message_history(Some(&w.group_id), w.from_ms, w.until_ms);
    let shown = &messages[..messages.len().min(MAX_ARROWS)];
    let lanes = lanes(shown);
    let x = |end: &str| TIME_W + LANE_W * (lanes.iter().position(|l| l == end).unwrap_or(0) as f64 + 0.5);
    let width = TIME_W + LANE_W * lanes.len().max(1) as f64;
    let height = HEAD_H + ROW_H * (shown.len() as f64 + 1.0);
    let close = {
        let state = ctx.state.clone();
        Callback::from(move |_| state.dispatch(Action::OpenSequence(None)))
    };
    html! {
        <section class="panel sequence-panel" aria-labelledby="sequence-title" data-testid="sequence">
            <h2 id="sequence-title">{ format!("Rebalance of {}", w.group_id) }
                <small>{ format!("{} → {} · {} messages{}", format_time(w.from_ms), format_time(w.until_ms), messages.len(),
                    if messages.len() > shown.len() { format!(", first {MAX_ARROWS} drawn") } else { String::new() }) }</small>
                <button class="close" aria-label="Close the sequence diagram" onclick={close}>{ "×" }</button>
            </h2>
            if shown.is_empty() {
                <p class="muted">{ "No group-protocol message of this group in this stretch (the engine keeps the last 1,024 delivered)." }</p>
            } else {
                <div class="sequence-scroll">
                <svg class="sequence" width={format!("{width:.0}")} height={format!("{height:.0}")} viewBox={format!("0 0 {width:.0} {height:.0}")}
                    role="img" aria-label={format!("Sequence diagram of the rebalance of {}", w.group_id)}>
                    <defs><marker id="seq-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8z" /></marker></defs>
                    { for lanes.iter().map(|l| html! {
                        <g class="lane" data-testid="sequence-lane" data-lane={l.clone()}>
                            <text x={format!("{:.1}", x(l))} y="16" class="lane-name">{ l.strip_prefix("client ").unwrap_or(l).to_string() }</text>
                            <line x1={format!("{:.1}", x(l))} x2={format!("{:.1}", x(l))} y1="22" y2={format!("{height:.0}")} class="lane-line" />
                        </g>
                    }) }
                    { for shown.iter().enumerate().map(|(i, m)| {
                        let y = HEAD_H + ROW_H * (i as f64 + 0.5);
                        let (x1, x2) = (x(&m.from), x(&m.to));
                        let label = match &m.error { Some(e) => format!("{} {e}", m.api), None => m.api.clone() };
                        let class = classes!("arrow", m.response.then_some("response"), m.error.is_some().then_some("error"));
                        html! {
                            <g {class} data-testid="sequence-message" data-kind={m.api.clone()} data-response={m.response.to_string()} data-error={m.error.clone().unwrap_or_default()}>
                                <title>{ format!("{} {} · {} → {} · correlation id {} · sent {} ms, delivered {} ms", m.api, if m.response { "response" } else { "request" }, m.from, m.to, m.correlation_id, m.sent_at_ms, m.deliver_at_ms) }</title>
                                <text x="4" y={format!("{:.1}", y + 4.0)} class="seq-time">{ format_time(m.deliver_at_ms) }</text>
                                <line x1={format!("{x1:.1}")} x2={format!("{x2:.1}")} y1={format!("{y:.1}")} y2={format!("{y:.1}")} marker-end="url(#seq-arrow)" />
                                <text x={format!("{:.1}", (x1 + x2) / 2.0)} y={format!("{:.1}", y - 3.0)} class="seq-label">{ label }</text>
                            </g>
                        }
                    }) }
                </svg>
                </div>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    #[test]
    fn a_consumer_group_window_holds_its_heartbeats_from_the_epoch_bump() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        let config = grouplab_engine::group::GroupConfig { group_protocol: grouplab_engine::group::client::GroupProtocol::Consumer, ..Default::default() };
        lab.apply(crate::actions::create_group("kip848", "orders", config)).unwrap();
        lab.apply(crate::actions::add_consumer("kip848")).unwrap();
        lab.advance_by(3_000);
        lab.apply(crate::actions::add_consumer("kip848")).unwrap();
        lab.advance_by(15_000);
        let bump = lab.events.iter().rev().find(|e| e.meta().kind == "group_epoch_bumped").expect("an epoch bump").event.at_ms;
        let w = lab.rebalance_window("kip848", bump);
        assert_eq!((w.from_ms, w.until_ms), (bump, bump + crate::model::CONSUMER_RECONCILE_WINDOW_MS));
        lab.open_sequence(Some(w.clone()));
        let messages = lab.sim.message_history(Some("kip848"), w.from_ms, w.until_ms);
        assert!(messages.iter().any(|m| m.api == "ConsumerGroupHeartbeat" && m.response), "{messages:?}");
        assert!(messages.iter().all(|m| m.api != "JoinGroup"));
    }

    #[test]
    fn a_rebalance_window_holds_its_join_and_sync_exchange() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        let done = lab.events.iter().rev().find(|e| e.meta().kind == "rebalance_completed").expect("a rebalance").event.at_ms;
        let w = lab.rebalance_window("my-group", done);
        assert!(w.from_ms < done && w.until_ms == done + crate::model::SEQUENCE_TAIL_MS, "{w:?} around {done}");
        lab.open_sequence(Some(w.clone()));
        assert_eq!(lab.now_ms(), w.until_ms, "moved to the window's end");
        let messages = lab.sim.message_history(Some("my-group"), w.from_ms, w.until_ms);
        let kinds: Vec<&str> = messages.iter().map(|m| m.api.as_str()).collect();
        assert!(kinds.contains(&"JoinGroup") && kinds.contains(&"SyncGroup"), "{kinds:?}");
        let lanes = lanes(&messages);
        assert!(lanes[0].starts_with("broker "), "the coordinator's lane first: {lanes:?}");
        assert!(lanes.iter().filter(|l| l.starts_with("client ")).count() >= 2, "{lanes:?}");
    }
}
