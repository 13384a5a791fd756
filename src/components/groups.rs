//! Consumer groups: state, generation, protocol, leader and coordinator, with members as cards
//! (client id, member id, assigned partitions in the member's colour, idle when none) and the
//! actions on them. Large groups are paged.

use super::glossary::{term, term_html};
use super::{member_colour, option, select_value, set, ViewContext, CARD_PAGE_SIZE as PAGE_SIZE};
use crate::actions;
use crate::state::Action;
use grouplab_engine::{ConsumerView, GroupView, MemberView, View};
use yew::prelude::*;

/// The group's lag in records (Σ HW − committed) and in time: how long its oldest unconsumed
/// record has waited, from the records' timestamps (`LagView::lag_ms`).
fn lag_line(g: &GroupView) -> Html {
    let records: u64 = g.lag.iter().filter_map(|l| l.committed_lag).sum();
    let worst = g.lag.iter().filter(|l| l.lag_ms.is_some()).max_by_key(|l| l.lag_ms);
    html! {
        <p class="small lag-line" data-testid="lag-seconds" data-ms={g.max_lag_ms.map_or(String::new(), |ms| ms.to_string())} data-records={records.to_string()}>
            { term("lag", format!("lag {records} records")) }{ " · " }
            { term("lag in seconds", match g.max_lag_ms {
                Some(ms) => format!("oldest unconsumed record waiting {}", seconds(ms)),
                None => "lag in seconds: – (nothing committed yet)".to_string(),
            }) }
            if let Some(w) = worst.filter(|w| w.lag_ms.unwrap_or(0) > 0) {
                <span class="muted">{ format!(" (on {}-{})", w.topic, w.partition) }</span>
            }
        </p>
    }
}

/// Milliseconds as seconds with one decimal (`12.3 s`).
pub fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// Switches `group.protocol` for the consumers started or restarted from now on (a drained
/// group converts when its first restarted member arrives).
fn protocol_switch(state: &crate::state::LabContext, g: &GroupView) -> Html {
    use grouplab_engine::group::client::GroupProtocol;
    let next = match g.config.group_protocol {
        GroupProtocol::Classic => GroupProtocol::Consumer,
        GroupProtocol::Consumer => GroupProtocol::Classic,
    };
    let switch = {
        let (state, id) = (state.clone(), g.group_id.clone());
        Callback::from(move |_| state.dispatch(Action::Apply(actions::set_group_protocol(&id, next))))
    };
    // The accessible name starts with the visible text (axe: label-content-name-mismatch).
    let text = format!("group.protocol → {} for restarts", next.name());
    html! {
        <button aria-label={format!("{text} of {}", g.group_id)} data-testid="switch-protocol"
            title="group.protocol for consumers started or restarted from now on: restart the consumers one by one and the group migrates online (group.consumer.migration.policy, bidirectional by default)"
            onclick={switch}>{ text }</button>
    }
}

/// What a consumer-protocol member's coordinator-side state means for its partitions.
fn reconciliation(status: &str) -> String {
    match status {
        "UNREVOKED_PARTITIONS" => " · revoking partitions before others get them".to_string(),
        "UNRELEASED_PARTITIONS" => " · waiting for partitions to be released".to_string(),
        _ => String::new(),
    }
}

/// The consumer groups (a plain function: it has no state; the root renders it with every view).
pub fn groups_panel(view: &View) -> Html {
    html! {
        <section class="stack" aria-label="Consumer groups">
            { for view.groups.iter().map(|g| html! { <GroupCard key={g.group_id.clone()} group={g.group_id.clone()} /> }) }
            if view.groups.is_empty() { <div class="panel muted">{ "No consumer group yet: create one with + Group." }</div> }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupCardProps {
    pub group: String,
}

#[function_component(GroupCard)]
pub fn group_card(props: &GroupCardProps) -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let state = ctx.state.clone();
    let show_all = use_state(|| false);
    let strategy = use_state(String::new);
    // The group's `kafka-consumer-groups.sh` panel: unfolded, and which output.
    let cli_tab = use_state(|| 0usize);
    let cli_open = use_state(|| false);
    let Some(g) = ctx.view.groups.iter().find(|g| g.group_id == props.group) else { return html! {} };
    let selected = state.lab.borrow().selected.clone();
    let config = &g.config;
    // A consumer-protocol group's session and heartbeat timing is the broker's
    // (`group.consumer.session.timeout.ms`, `group.consumer.heartbeat.interval.ms`).
    let timeouts = match g.group_epoch {
        Some(_) => {
            let broker = state.lab.borrow();
            let broker = broker.sim.config();
            Timeouts { session_ms: broker.group_consumer_session_timeout_ms, heartbeat_ms: broker.group_consumer_heartbeat_interval_ms, max_poll_ms: config.max_poll_interval_ms }
        }
        None => Timeouts { session_ms: config.session_timeout_ms, heartbeat_ms: config.heartbeat_interval_ms, max_poll_ms: config.max_poll_interval_ms },
    };
    let add = {
        let state = state.clone();
        let id = g.group_id.clone();
        Callback::from(move |_| state.dispatch(Action::Apply(actions::add_consumer(&id))))
    };
    let on_command = {
        let state = state.clone();
        Callback::from(move |cmd: grouplab_engine::Command| state.dispatch(Action::Apply(cmd)))
    };
    let on_select = {
        let state = state.clone();
        Callback::from(move |id: String| state.dispatch(Action::Select(Some(id))))
    };
    let leader_client = g.leader.as_ref().and_then(|l| g.members.iter().find(|m| &m.member_id == l)).map(|m| m.client_id.clone());
    let limit = if *show_all { usize::MAX } else { PAGE_SIZE };
    let toggle = {
        let show_all = show_all.clone();
        Callback::from(move |_| show_all.set(!*show_all))
    };
    let current_strategy = g.config.assignment_strategies.join(", ");
    let chosen_strategy = if strategy.is_empty() { current_strategy.clone() } else { (*strategy).clone() };
    let apply_strategy = {
        let (state, id, chosen) = (state.clone(), g.group_id.clone(), chosen_strategy.clone());
        Callback::from(move |_| state.dispatch(Action::Apply(actions::set_group_strategy(&id, &chosen))))
    };
    let strategy_id = format!("strategy-{}", g.group_id);
    let now = ctx.view.now_ms;
    html! {
        <div class="panel" data-testid="group-panel" data-group={g.group_id.clone()} data-state={g.state.clone()} data-generation={g.generation.to_string()}>
            <h2>
                { term("consumer group", format!("Group {}", g.group_id)) }
                <span class={classes!("badge", g.state.clone())} data-testid="group-state">{ term(state_term(&g.state), g.state.clone()) }</span>
                if let (Some(epoch), Some(target)) = (g.group_epoch, g.target_assignment_epoch) {
                    <span class="badge consumer-protocol" data-testid="group-type" data-type="Consumer">{ term("consumer protocol", "consumer protocol (KIP-848)") }</span>
                    <small data-testid="group-epochs" data-group-epoch={epoch.to_string()} data-target-epoch={target.to_string()}>
                        { term("group epoch", format!("group epoch {epoch}")) }{ " · " }{ term("target assignment epoch", format!("target epoch {target}")) }</small>
                } else {
                    <small>{ term("generation", format!("generation {}", g.generation)) }</small>
                }
            </h2>
            <p class="muted small group-facts">
                { term("assignment strategy", format!("protocol {}", g.protocol.clone().unwrap_or_else(|| "–".into()))) }
                { format!(" ({}) · subscribed to {} · commit {} · ", g.protocol_type, g.subscription.join(", "), format!("{:?}", g.config.commit_mode)) }
                { term("group leader", format!("leader {}", leader_client.unwrap_or_else(|| "–".into()))) }
                { " · " }
                { term("group coordinator", format!("coordinator broker {}", g.coordinator.map_or("–".to_string(), |b| b.to_string()))) }
                { " · " }{ term("session timeout", format!("session.timeout.ms {}", timeouts.session_ms)) }
                if !g.pending_commits.is_empty() {
                    { " · " }<span data-testid="pending-commits">{ term("pending commit", format!("{} commit(s) replicating", g.pending_commits.len())) }</span>
                }
            </p>
            { lag_line(g) }
            <p class="delivery small" data-testid="delivery" data-processed={g.delivery.processed.to_string()} data-duplicates={g.delivery.duplicates.to_string()} data-losses={g.delivery.losses.to_string()}>
                { format!("processed {} (distinct {}) · ", g.delivery.processed, g.delivery.distinct) }
                <span class={(g.delivery.duplicates > 0).then_some("warn")} title="Records processed more than once (at-least-once after a crash or rebalance)">
                    { format!("processed twice or more: {}", g.delivery.duplicates) }</span>
                { " · " }
                <span class={(g.delivery.losses > 0).then_some("bad")} title="Records below a committed offset that were never processed (at-most-once)">
                    { format!("lost: {}", g.delivery.losses) }</span>
            </p>
            <div class="group-actions">
                <button class="primary" aria-label={format!("Add consumer to {}", g.group_id)} title="a" onclick={add}>{ "Add consumer" }</button>
                <label for={strategy_id.clone()} class="small muted">{ "strategy" }</label>
                <select id={strategy_id} onchange={select_value(set(&strategy))}>
                    { for super::forms::STRATEGY_CHOICES.iter().map(|(v, _)| option(v, v, *v == chosen_strategy)) }
                    if !super::forms::STRATEGY_CHOICES.iter().any(|(v, _)| *v == current_strategy) { { option(&current_strategy, &current_strategy, chosen_strategy == current_strategy) } }
                </select>
                <button aria-label={format!("Set strategy of {}", g.group_id)}
                    title="partition.assignment.strategy for consumers started or restarted from now on" onclick={apply_strategy}>{ "Set strategy" }</button>
                { protocol_switch(&state, g) }
            </div>
            <div class="members">
                { for g.consumers.iter().enumerate().take(limit).map(|(i, c)| {
                    consumer_card(&ConsumerCard {
                        group: &g.group_id,
                        consumer: c,
                        member: g.members.iter().find(|m| !c.member_id.is_empty() && m.member_id == c.member_id),
                        colour: member_colour(i),
                        leader: !c.member_id.is_empty() && g.leader.as_deref() == Some(c.member_id.as_str()),
                        selected: selected.as_deref() == Some(c.client_id.as_str()),
                        now_ms: now,
                        timeouts,
                        on_command: &on_command,
                        on_select: &on_select,
                        share: false,
                        extra: Html::default(),
                    })
                }) }
            </div>
            if g.consumers.len() > PAGE_SIZE {
                <button class="small" onclick={toggle}>
                    if *show_all { { "Show fewer" } } else { { format!("Show all {} consumers", g.consumers.len()) } }
                </button>
            }
            { super::kafka_tables::kafka_tables(&ctx.view, g, &cli_tab, &cli_open) }
        </div>
    }
}

/// The timeouts a group's consumers run with (for the timer arcs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timeouts {
    pub session_ms: u64,
    pub heartbeat_ms: u64,
    pub max_poll_ms: u64,
}

/// Fraction of a timer elapsed: 0 right after a reset, 1 when `deadline_ms` is reached.
pub fn elapsed_fraction(now_ms: u64, deadline_ms: Option<u64>, total_ms: u64) -> Option<f64> {
    let d = deadline_ms?;
    if total_ms == 0 {
        return Some(1.0);
    }
    let left = d.saturating_sub(now_ms) as f64;
    Some((1.0 - left / total_ms as f64).clamp(0.0, 1.0))
}

/// A timer drawn as an arc that fills up and resets (`fraction` elapsed; `None` = not running).
pub fn timer_arc(label: &'static str, key: &'static str, fraction: Option<f64>, left_ms: Option<u64>) -> Html {
    const C: f64 = 2.0 * std::f64::consts::PI * 10.0;
    let f = fraction.unwrap_or(0.0);
    let text = match left_ms {
        Some(l) => format!("{label}: {:.1} s left", l as f64 / 1000.0),
        None => format!("{label}: not running"),
    };
    html! {
        <span class={classes!("arc", (f > 0.8 && key != "heartbeat").then_some("urgent"), fraction.is_none().then_some("off"))} title={text}
            data-testid={format!("arc-{}", key.replace(' ', "-"))} data-fraction={format!("{f:.3}")}>
            <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
                <circle class="track" cx="12" cy="12" r="10" />
                <circle class="fill" cx="12" cy="12" r="10" stroke-dasharray={format!("{:.2} {:.2}", f * C, C)} transform="rotate(-90 12 12)" />
            </svg>
            { term(key, label) }
        </span>
    }
}

/// One consumer's card: what it shows and the callbacks its buttons use.
pub struct ConsumerCard<'a> {
    pub group: &'a str,
    pub consumer: &'a ConsumerView,
    pub member: Option<&'a MemberView>,
    pub colour: String,
    pub leader: bool,
    pub selected: bool,
    pub now_ms: u64,
    pub timeouts: Timeouts,
    pub on_command: &'a Callback<grouplab_engine::Command>,
    pub on_select: &'a Callback<String>,
    /// A share group's consumer (`share_groups`): no poll timer, its records' locks in the
    /// buttons' titles.
    pub share: bool,
    /// Shown under the assignment (a share consumer's records held and processed).
    pub extra: Html,
}

/// A consumer card (a plain function rather than a component: the cards re-render with their
/// group card anyway, as the clock in their props changes on every tick).
pub fn consumer_card(props: &ConsumerCard) -> Html {
    let c = &props.consumer;
    let cmd = |command: grouplab_engine::Command| {
        let on = props.on_command.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            on.emit(command.clone())
        })
    };
    let select = {
        let on = props.on_select.clone();
        let id = c.client_id.clone();
        Callback::from(move |_: MouseEvent| on.emit(id.clone()))
    };
    // Tabbing into a card's buttons selects the consumer too (keyboard users get `c`).
    let select_on_focus = {
        let on = props.on_select.clone();
        let id = c.client_id.clone();
        let selected = props.selected;
        Callback::from(move |_: FocusEvent| {
            if !selected {
                on.emit(id.clone())
            }
        })
    };
    let lifecycle = c.lifecycle.to_ascii_lowercase();
    let alive = lifecycle == "running";
    let m = props.member;
    let now = props.now_ms;
    let t = props.timeouts;
    let session = m.and_then(|m| m.session_deadline_ms);
    let heartbeat = m.and_then(|m| m.heartbeat_due_ms).filter(|_| lifecycle == "running" || lifecycle == "stalled");
    let poll = m.and_then(|m| m.poll_deadline_ms);
    html! {
        <div key={c.client_id.clone()} class={classes!("member", lifecycle.clone(), props.selected.then_some("selected"), c.fenced.then_some("zombie"))} style={format!("--mc:{}", props.colour)}
            data-testid="consumer-card" data-group={props.group.to_string()} data-client-id={c.client_id.clone()} data-status={lifecycle.clone()}
            data-member-state={c.member_state.clone()} onclick={select} onfocusin={select_on_focus}>
            <span class="cid">{ term("client id", c.client_id.clone()) }
                if props.leader { <span class="leader-tag" title="Group leader: computes the assignment">{ " ★ leader" }</span> }
                <span class={classes!("life", lifecycle.clone())}>{ format!(" {}", c.lifecycle) }</span></span>
            <span class="mid" title="Member id given by the group coordinator">
                { if c.member_id.is_empty() { "not in the group" } else { &c.member_id } }</span>
            if let Some(error) = &c.error {
                <span class="bad small" data-testid="consumer-error" title="poll() throws this to the application">{ error.clone() }</span>
            }
            if let Some(instance) = &c.group_instance_id {
                <span class="small" data-testid="instance-id">{ term("static member", format!("group.instance.id {instance}")) }</span>
            }
            <span class="small muted" data-testid="member-state" data-epoch={c.member_epoch.map(|e| e.to_string()).unwrap_or_default()}>
                { match c.member_epoch {
                    Some(epoch) => format!("{} · member epoch {epoch}{}", c.member_state, m.map_or(String::new(), |m| reconciliation(&m.status))),
                    None => format!("{} · gen {} · {}", c.member_state, c.generation, c.protocol),
                } }
                if c.fenced { <span class="bad" title="Removed by the coordinator, has not noticed yet">{ " · zombie" }</span> }</span>
            if m.and_then(|m| m.upgraded) == Some(false) {
                <span class="small" data-testid="classic-member">{ term("online migration", "classic member of a consumer group") }</span>
            }
            <div class="parts">
                if c.assigned.is_empty() && alive {
                    { term_html("idle consumer", html! { <span class="idle">{ "idle" }</span> }) }
                }
                { for c.assigned.iter().map(|(tp, p)| {
                    let pos = c.positions.iter().find(|(t2, p2, _)| t2 == tp && p2 == p).map(|x| x.2);
                    html! { <span class="pchip" title={pos.map_or(String::new(), |o| format!("position {o}"))}>{ format!("{tp}-{p}") }</span> }
                }) }
            </div>
            { props.extra.clone() }
            <div class="arcs">
                { timer_arc("heartbeat", "heartbeat", elapsed_fraction(now, heartbeat, t.heartbeat_ms), heartbeat.map(|d| d.saturating_sub(now))) }
                { timer_arc("session", "session timeout", elapsed_fraction(now, session, t.session_ms), session.map(|d| d.saturating_sub(now))) }
                if !props.share { { timer_arc("poll", "max.poll.interval.ms", elapsed_fraction(now, poll, t.max_poll_ms), poll.map(|d| d.saturating_sub(now))) } }
            </div>
            <div class="actions">
                if alive || lifecycle == "stalled" {
                    <button class="danger" aria-label={format!("Crash consumer {}", c.client_id)}
                        title={if props.share { "kill -9: the consumer stops without leaving; the records it holds stay locked to it until their acquisition lock expires (share.record.lock.duration.ms), then others get them" }
                            else { "kill -9: the consumer stops without leaving the group; its partitions move after session.timeout.ms" }}
                        onclick={cmd(actions::crash_consumer(&c.client_id))}>{ "✕ Crash consumer" }</button>
                    <button aria-label={format!("Close consumer {}", c.client_id)} title={if props.share { "close(): acknowledges what it processed and leaves; the broker releases what it still held" } else { "close(): commits, sends LeaveGroup, partitions move at once" }}
                        onclick={cmd(actions::close_consumer(&c.client_id))}>{ "Close" }</button>
                }
                if alive {
                    <button aria-label={format!("Stall consumer {}", c.client_id)}
                        title={if props.share { "Processing gets stuck: heartbeats continue, so it stays a member, but the locks of the records it holds expire and others get them" }
                            else { "Processing gets stuck: heartbeats continue, the member leaves after max.poll.interval.ms" }}
                        onclick={cmd(actions::stall_consumer(&c.client_id))}>{ "Stall" }</button>
                } else {
                    <button class="primary" aria-label={format!("Restart consumer {}", c.client_id)}
                        title="Start it again (same client.id, new member) or resume a stalled one"
                        onclick={cmd(actions::restart_consumer(&c.client_id))}>{ if lifecycle == "stalled" { "Resume" } else { "Restart" } }</button>
                }
            </div>
        </div>
    }
}

/// Glossary key of a group state.
pub fn state_term(state: &str) -> &'static str {
    match state {
        "Stable" => "Stable",
        "PreparingRebalance" => "PreparingRebalance",
        "CompletingRebalance" => "CompletingRebalance",
        "Dead" => "Dead",
        _ => "Empty",
    }
}

/// Members of a group (for the crash shortcut: the selected one, else the last member).
pub fn crash_target(groups: &[GroupView], selected: Option<&str>) -> Option<String> {
    let running: Vec<&ConsumerView> = groups.iter().flat_map(|g| g.consumers.iter()).filter(|c| c.lifecycle != "Crashed" && c.lifecycle != "Closed").collect();
    if let Some(s) = selected {
        if running.iter().any(|c| c.client_id == s) {
            return Some(s.to_string());
        }
    }
    running.last().map(|c| c.client_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_arcs_fill_up_to_the_deadline() {
        assert_eq!(elapsed_fraction(0, Some(45_000), 45_000), Some(0.0));
        assert_eq!(elapsed_fraction(45_000, Some(45_000), 45_000), Some(1.0));
        assert!((elapsed_fraction(30_000, Some(45_000), 45_000).unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(elapsed_fraction(99_000, Some(45_000), 45_000), Some(1.0));
        assert_eq!(elapsed_fraction(0, None, 45_000), None);
    }
}
