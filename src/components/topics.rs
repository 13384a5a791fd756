//! Topics as partition logs: log start, high watermark and log end offset on one ruler, and the
//! owner of the partition in each group.

use super::member_colour;
use crate::actions;
use crate::state::{Action, LabContext};
use grouplab_engine::{GroupView, PartitionView, TopicView};
use yew::prelude::*;

/// Owner (client id, colour) of `topic`-`partition` in `group`: the consumer that holds it. A
/// crashed consumer keeps its partitions until the coordinator expires its session.
pub fn owner_of(group: &GroupView, topic: &str, partition: u32) -> Option<(String, String)> {
    group.consumers.iter().enumerate().find_map(|(i, m)| {
        (m.lifecycle != "Closed" && m.assigned
            .iter()
            .any(|(t, p)| t == topic && *p == partition))
            .then(|| (m.client_id.clone(), member_colour(i)))
    })
}

#[function_component(TopicsPanel)]
pub fn topics_panel() -> Html {
    let state = use_context::<LabContext>().expect("lab context");
    let view = state.lab.borrow().view();
    let topics = view.topics.iter().filter(|t| !t.internal);
    html! {
        <section class="panel stack" aria-label="Topics">
            { for topics.map(|t| {
                let produce = {
                    let state = state.clone();
                    let name = t.name.clone();
                    Callback::from(move |_| state.dispatch(Action::Apply(actions::produce(&name, 10))))
                };
                html! { <TopicCard topic={t.clone()} groups={view.groups.clone()} on_produce={produce} /> }
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TopicCardProps {
    pub topic: TopicView,
    pub groups: Vec<GroupView>,
    pub on_produce: Callback<MouseEvent>,
}

#[function_component(TopicCard)]
pub fn topic_card(props: &TopicCardProps) -> Html {
    let t = &props.topic;
    let max_leo = t.partitions.iter().map(|p| p.log_end_offset).max().unwrap_or(0).max(10);
    html! {
        <div data-testid="topic" data-topic={t.name.clone()}>
            <h2>
                { format!("Topic {}", t.name) }
                <small>{ format!("{} partitions", t.partitions.len()) }</small>
                <button onclick={props.on_produce.clone()} aria-label={format!("Produce 10 records to {}", t.name)}>
                    { "Produce 10" }
                </button>
            </h2>
            { for t.partitions.iter().map(|p| html! {
                <PartitionRow topic={t.name.clone()} partition={p.clone()} scale={max_leo} groups={props.groups.clone()} />
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PartitionRowProps {
    pub topic: String,
    pub partition: PartitionView,
    /// Offset that maps to the full width of the ruler.
    pub scale: u64,
    pub groups: Vec<GroupView>,
}

#[function_component(PartitionRow)]
pub fn partition_row(props: &PartitionRowProps) -> Html {
    let p = &props.partition;
    let pct = |o: u64| format!("{:.3}%", 100.0 * o as f64 / props.scale as f64);
    let id = format!("{}-{}", props.topic, p.partition);
    html! {
        <div class="partition" data-testid="partition" data-partition={id.clone()}>
            <span class="name">{ format!("P{}", p.partition) }</span>
            <div class="log" role="img"
                aria-label={format!("{id}: log start {}, high watermark {}, log end {}", p.log_start_offset, p.high_watermark, p.log_end_offset)}>
                <div class="seg visible" style={format!("left:{};width:{}", pct(p.log_start_offset), pct(p.high_watermark - p.log_start_offset))}></div>
                <div class="seg above-hw" style={format!("left:{};width:{}", pct(p.high_watermark), pct(p.log_end_offset - p.high_watermark))}></div>
            </div>
            <span class="offsets">
                <span title="Log end offset: the offset the next record will get">{ format!("LEO {}", p.log_end_offset) }</span>
                { for props.groups.iter().map(|g| {
                    let owner = owner_of(g, &props.topic, p.partition);
                    let (name, colour) = owner.clone().unwrap_or_default();
                    html! {
                        <span class={classes!("owner-chip", owner.is_none().then_some("none"))}
                            style={format!("background:{colour}")}
                            data-testid="partition-owner" data-group={g.group_id.clone()}
                            data-partition={id.clone()} data-owner={name.clone()}
                            title={format!("Owner of {id} in group {}", g.group_id)}>
                            { if name.is_empty() { "–".to_string() } else { name } }
                        </span>
                    }
                }) }
            </span>
        </div>
    }
}
