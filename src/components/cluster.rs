//! The cluster: brokers with the replicas they host (leaders filled, out-of-ISR dashed, eligible leader replicas dotted), crashed
//! brokers greyed, and each group's coordinator marked on its broker — the leader of partition
//! `coordinator_partition(group.id)` of `__consumer_offsets`, as Kafka's `FindCoordinator` says.

use super::glossary::term;
use crate::actions;
use crate::state::{Action, LabContext};
use grouplab_engine::kafka::hash::coordinator_partition;
use grouplab_engine::kafka::topic::CONSUMER_OFFSETS;
use grouplab_engine::View;
use yew::prelude::*;

/// Most replica chips drawn per broker (the rest are counted).
pub const MAX_CHIPS: usize = 60;

/// One replica hosted by a broker.
#[derive(Clone, Debug, PartialEq)]
pub struct HostedReplica {
    pub topic: String,
    pub partition: u32,
    pub leader: bool,
    pub in_isr: bool,
    /// An eligible leader replica (KIP-966): out of the ISR but holding every committed record.
    pub in_elr: bool,
}

/// Replicas of user topics hosted by `broker`, and (count, leaders) of its `__consumer_offsets` replicas.
pub fn hosted(view: &View, broker: u32) -> (Vec<HostedReplica>, usize, usize) {
    let mut out = Vec::new();
    let (mut internal, mut internal_leaders) = (0, 0);
    for t in &view.topics {
        for p in &t.partitions {
            if !p.replicas.contains(&broker) {
                continue;
            }
            let leader = p.leader == Some(broker);
            if t.internal {
                internal += 1;
                internal_leaders += usize::from(leader);
            } else {
                out.push(HostedReplica { topic: t.name.clone(), partition: p.partition, leader, in_isr: p.isr.contains(&broker), in_elr: p.elr.contains(&broker) });
            }
        }
    }
    (out, internal, internal_leaders)
}

/// (group id, `__consumer_offsets` partition, coordinator broker) for every group.
pub fn coordinators(view: &View) -> Vec<(String, u32, Option<u32>)> {
    let offsets = view.topics.iter().find(|t| t.name == CONSUMER_OFFSETS);
    let n = offsets.map_or(0, |t| t.partitions.len() as u32);
    view.groups
        .iter()
        .map(|g| {
            let p = coordinator_partition(&g.group_id, n.max(1));
            let leader = offsets.and_then(|t| t.partitions.get(p as usize)).and_then(|x| x.leader);
            (g.group_id.clone(), p, leader)
        })
        .collect()
}

/// The cluster panel (a plain function: it has no state; the root renders it with every view).
pub fn cluster_panel(state: &LabContext, view: &View) -> Html {
    let coords = coordinators(view);
    let act = |cmd: grouplab_engine::Command| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Apply(cmd.clone())))
    };
    html! {
        <section class="panel" aria-labelledby="cluster-title" data-testid="cluster">
            <h2 id="cluster-title">{ "Cluster" }<small>{ format!("{} brokers", view.brokers.len()) }</small></h2>
            if let Some(error) = &view.offsets_topic_error {
                <p class="cli-warning" role="alert" data-testid="offsets-topic-error">{ format!("__consumer_offsets was not created: {error}") }</p>
            }
            <div class="brokers">
                { for view.brokers.iter().map(|b| {
                    let (replicas, internal, internal_leaders) = hosted(view, b.id);
                    let leaders = replicas.iter().filter(|r| r.leader).count();
                    let (status, badge) = if !b.alive { ("down", "badge down") } else if b.fenced { ("fenced", "badge fenced") } else { ("up", "badge up") };
                    let mine: Vec<_> = coords.iter().filter(|c| c.2 == Some(b.id)).collect();
                    html! {
                        <div class={classes!("broker", (!b.alive).then_some("down"))} data-testid="broker" data-broker={b.id.to_string()} data-status={status}>
                            <div class="broker-head">
                                <strong>{ format!("Broker {}", b.id) }</strong>
                                <span class={badge}>{ status }</span>
                            </div>
                            <div class="muted small">
                                { format!("{} replicas · leads {} · ", replicas.len(), leaders) }
                                { term("__consumer_offsets", format!("{internal} offsets replicas ({internal_leaders} led)")) }
                            </div>
                            { for mine.iter().map(|(g, p, _)| html! {
                                <div class="coord" data-testid="coordinator" data-group={g.clone()}>
                                    { "★ " }{ term("group coordinator", "coordinator") }{ format!(" of {g} (__consumer_offsets-{p})") }
                                </div>
                            }) }
                            <div class="replicas">
                                { for replicas.iter().take(MAX_CHIPS).map(|r| {
                                    let class = match (r.leader, r.in_isr, r.in_elr) {
                                        (true, true, _) => "rchip leader",
                                        (true, false, _) => "rchip leader out",
                                        (false, true, _) => "rchip",
                                        (false, false, true) => "rchip out elr",
                                        (false, false, false) => "rchip out",
                                    };
                                    let membership = if r.in_isr { ", in ISR" } else if r.in_elr { ", NOT in ISR but an eligible leader replica (ELR, KIP-966)" } else { ", NOT in ISR" };
                                    let title = format!("{}-{}: {}{membership}", r.topic, r.partition, if r.leader { "leader" } else { "follower" });
                                    html! { <span {class} {title}>{ format!("{}-{}", r.topic, r.partition) }</span> }
                                }) }
                                if replicas.len() > MAX_CHIPS { <span class="muted small">{ format!("+{} more", replicas.len() - MAX_CHIPS) }</span> }
                            </div>
                            <div class="actions">
                                if b.alive {
                                    <button class="danger solid" aria-label={format!("Crash broker {}", b.id)}
                                        title="kill -9: the controller fences it after broker.session.timeout.ms"
                                        onclick={act(actions::crash_broker(b.id))}>{ "⚡ Crash broker" }</button>
                                    <button aria-label={format!("Shut down broker {}", b.id)} title="Controlled shutdown: leadership moves away first"
                                        onclick={act(actions::shutdown_broker(b.id))}>{ "Shut down" }</button>
                                } else {
                                    <button class="primary" aria-label={format!("Restart broker {}", b.id)} onclick={act(actions::restart_broker(b.id))}>{ "Restart" }</button>
                                }
                            </div>
                        </div>
                    }
                }) }
            </div>
            <p class="legend muted small">
                <span class="rchip leader">{ "leader" }</span>{ " " }<span class="rchip">{ "follower" }</span>{ " " }
                <span class="rchip out">{ "out of " }</span>{ term("ISR", "ISR") }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    #[test]
    fn every_replica_is_hosted_once_and_the_coordinator_is_the_offsets_leader() {
        let lab = Lab::new(default_scenario()).unwrap();
        let view = lab.view();
        let total: usize = view.brokers.iter().map(|b| hosted(&view, b.id).0.len()).sum();
        assert_eq!(total, 6 * 3, "six partitions, RF 3");
        let leaders: usize = view.brokers.iter().map(|b| hosted(&view, b.id).0.iter().filter(|r| r.leader).count()).sum();
        assert_eq!(leaders, 6);
        let coords = coordinators(&view);
        assert_eq!(coords.len(), 1);
        let (g, p, broker) = &coords[0];
        assert_eq!(*p, coordinator_partition(g, 50));
        let group = view.groups.iter().find(|x| &x.group_id == g).unwrap();
        if group.coordinator.is_some() {
            assert_eq!(group.coordinator, *broker, "agrees with the engine's own coordinator");
        }
        assert!(broker.is_some());
    }
}
