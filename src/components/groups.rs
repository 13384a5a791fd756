//! Consumer groups: state, generation and members as cards with their partitions.

use super::member_colour;
use crate::actions;
use crate::state::{Action, LabContext};
use grouplab_engine::{ConsumerView, GroupView};
use yew::prelude::*;

#[function_component(GroupsPanel)]
pub fn groups_panel() -> Html {
    let state = use_context::<LabContext>().expect("lab context");
    let view = state.lab.borrow().view();
    let on_add = {
        let state = state.clone();
        Callback::from(move |group: String| state.dispatch(Action::Apply(actions::add_consumer(&group))))
    };
    let on_crash = {
        let state = state.clone();
        Callback::from(move |client: String| state.dispatch(Action::Apply(actions::crash_consumer(&client))))
    };
    html! {
        <section class="stack" aria-label="Consumer groups">
            { for view.groups.iter().map(|g| html! {
                <GroupCard group={g.clone()} on_add={on_add.clone()} on_crash={on_crash.clone()} />
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupCardProps {
    pub group: GroupView,
    pub on_add: Callback<String>,
    pub on_crash: Callback<String>,
}

#[function_component(GroupCard)]
pub fn group_card(props: &GroupCardProps) -> Html {
    let g = &props.group;
    let add = {
        let on_add = props.on_add.clone();
        let id = g.group_id.clone();
        Callback::from(move |_| on_add.emit(id.clone()))
    };
    html! {
        <div class="panel" data-testid="group-panel" data-group={g.group_id.clone()}>
            <h2>
                { format!("Group {}", g.group_id) }
                <span class={classes!("badge", g.state.clone())} title="Group state on the coordinator">{ g.state.clone() }</span>
                <small title="Generation: bumped by every completed rebalance">{ format!("generation {}", g.generation) }</small>
            </h2>
            <p><button class="primary" onclick={add}>{ "Add consumer" }</button></p>
            <div class="members">
                { for g.consumers.iter().enumerate().map(|(i, m)| html! {
                    <ConsumerCard group={g.group_id.clone()} member={m.clone()} colour={member_colour(i)}
                        on_crash={props.on_crash.clone()} />
                }) }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ConsumerCardProps {
    pub group: String,
    pub member: ConsumerView,
    pub colour: String,
    pub on_crash: Callback<String>,
}

#[function_component(ConsumerCard)]
pub fn consumer_card(props: &ConsumerCardProps) -> Html {
    let m = &props.member;
    let alive = matches!(m.lifecycle.as_str(), "Running" | "Stalled");
    let crash = {
        let on_crash = props.on_crash.clone();
        let id = m.client_id.clone();
        Callback::from(move |_| on_crash.emit(id.clone()))
    };
    html! {
        <div class={classes!("member", m.lifecycle.to_lowercase())} style={format!("--mc:{}", props.colour)}
            data-testid="consumer-card" data-group={props.group.clone()} data-client-id={m.client_id.clone()}
            data-status={m.lifecycle.to_lowercase()}>
            <span class="cid">{ m.client_id.clone() }
                <small class="status" title="Client-side member state (Kafka's AbstractCoordinator.MemberState)">
                    { format!(" {} · {}", m.lifecycle, m.member_state) }</small></span>
            <span class="mid" title="Member id given by the group coordinator">
                { if m.member_id.is_empty() { "not in the group".to_string() } else { m.member_id.clone() } }</span>
            <div class="parts">
                if m.assigned.is_empty() {
                    <span class="idle" title="More consumers than partitions: this one waits to take over">{ "idle" }</span>
                }
                { for m.assigned.iter().map(|(t, p)| html! { <span class="pchip">{ format!("{t}-{p}") }</span> }) }
            </div>
            if alive {
            <div class="actions">
                <button class="danger" onclick={crash} aria-label={format!("Crash consumer {}", m.client_id)}
                    title="kill -9: the consumer stops without leaving the group">{ "Crash" }</button>
            </div>
            }
        </div>
    }
}
