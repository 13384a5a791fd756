//! Consumer groups: state, generation, protocol, leader and coordinator, with members as cards
//! (client id, member id, assigned partitions in the member's colour, idle when none) and the
//! actions on them. Large groups are paged.

use super::glossary::Term;
use super::{member_colour, ViewContext, PAGE_SIZE};
use crate::actions;
use crate::state::{Action, LabContext};
use grouplab_engine::{GroupView, MemberView};
use yew::prelude::*;

#[function_component(GroupsPanel)]
pub fn groups_panel() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    html! {
        <section class="stack" aria-label="Consumer groups">
            { for ctx.view.groups.iter().map(|g| html! { <GroupCard key={g.group_id.clone()} group={g.group_id.clone()} /> }) }
            if ctx.view.groups.is_empty() { <div class="panel muted">{ "No consumer group yet: create one with + Group." }</div> }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupCardProps {
    pub group: String,
}

#[function_component(GroupCard)]
pub fn group_card(props: &GroupCardProps) -> Html {
    let state = use_context::<LabContext>().expect("lab context");
    let ctx = use_context::<ViewContext>().expect("view context");
    let show_all = use_state(|| false);
    let Some(g) = ctx.view.groups.iter().find(|g| g.group_id == props.group) else { return html! {} };
    let selected = state.lab.borrow().selected.clone();
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
    html! {
        <div class="panel" data-testid="group-panel" data-group={g.group_id.clone()}>
            <h2>
                <Term term="consumer group">{ format!("Group {}", g.group_id) }</Term>
                <span class={classes!("badge", g.state.clone())} data-testid="group-state"><Term term={state_term(&g.state)}>{ g.state.clone() }</Term></span>
                <small><Term term="generation">{ format!("generation {}", g.generation) }</Term></small>
            </h2>
            <p class="muted small group-facts">
                <Term term="assignment strategy">{ format!("protocol {}", g.protocol.clone().unwrap_or_else(|| "–".into())) }</Term>
                { format!(" ({}) · subscribed to {} · ", g.protocol_type, g.subscription.join(", ")) }
                <Term term="group leader">{ format!("leader {}", leader_client.unwrap_or_else(|| "–".into())) }</Term>
                { " · " }
                <Term term="group coordinator">{ format!("coordinator broker {}", g.coordinator.map_or("–".to_string(), |b| b.to_string())) }</Term>
            </p>
            <p><button class="primary" onclick={add} aria-label={format!("Add consumer to {}", g.group_id)} title="a">{ "Add consumer" }</button></p>
            <div class="members">
                { for g.members.iter().enumerate().take(limit).map(|(i, m)| html! {
                    <ConsumerCard key={m.member_id.clone()} group={g.group_id.clone()} member={m.clone()} colour={member_colour(i)}
                        leader={g.leader.as_deref() == Some(m.member_id.as_str())}
                        selected={selected.as_deref() == Some(m.client_id.as_str())}
                        on_command={on_command.clone()} on_select={on_select.clone()} />
                }) }
            </div>
            if g.members.len() > PAGE_SIZE {
                <button class="small" onclick={toggle}>{ if *show_all { "Show fewer".to_string() } else { format!("Show all {} members", g.members.len()) } }</button>
            }
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

#[derive(Properties, PartialEq)]
pub struct ConsumerCardProps {
    pub group: String,
    pub member: MemberView,
    pub colour: String,
    pub leader: bool,
    pub selected: bool,
    pub on_command: Callback<grouplab_engine::Command>,
    pub on_select: Callback<String>,
}

#[function_component(ConsumerCard)]
pub fn consumer_card(props: &ConsumerCardProps) -> Html {
    let m = &props.member;
    let cmd = |c: grouplab_engine::Command| {
        let on = props.on_command.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            on.emit(c.clone())
        })
    };
    let select = {
        let on = props.on_select.clone();
        let id = m.client_id.clone();
        Callback::from(move |_: MouseEvent| on.emit(id.clone()))
    };
    html! {
        <div class={classes!("member", props.selected.then_some("selected"))} style={format!("--mc:{}", props.colour)} data-testid="consumer-card"
            data-group={props.group.clone()} data-client-id={m.client_id.clone()} data-status="running" onclick={select}>
            <span class="cid"><Term term="client id">{ m.client_id.clone() }</Term>
                if props.leader { <span class="leader-tag" title="Group leader: computes the assignment">{ " ★ leader" }</span> }</span>
            <span class="mid" title="Member id given by the group coordinator">{ m.member_id.clone() }</span>
            <div class="parts">
                if m.assigned.is_empty() {
                    <Term term="idle consumer"><span class="idle">{ "idle" }</span></Term>
                }
                { for m.assigned.iter().map(|(t, p)| html! { <span class="pchip">{ format!("{t}-{p}") }</span> }) }
            </div>
            <div class="actions">
                <button class="danger" onclick={cmd(actions::crash_consumer(&m.client_id))} aria-label={format!("Crash consumer {}", m.client_id)}
                    title="kill -9: the consumer stops without leaving the group; its partitions move after session.timeout.ms">{ "Crash" }</button>
                <button onclick={cmd(actions::close_consumer(&m.client_id))} aria-label={format!("Close consumer {}", m.client_id)}
                    title="close(): commits, sends LeaveGroup, partitions move at once">{ "Close" }</button>
            </div>
        </div>
    }
}

/// Members of a group (for the crash shortcut: the selected one, else the last member).
pub fn crash_target(groups: &[GroupView], selected: Option<&str>) -> Option<String> {
    let all: Vec<&MemberView> = groups.iter().flat_map(|g| g.members.iter()).collect();
    if let Some(s) = selected {
        if all.iter().any(|m| m.client_id == s) {
            return Some(s.to_string());
        }
    }
    all.last().map(|m| m.client_id.clone())
}
