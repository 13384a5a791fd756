//! The event log: one line per engine event (the model keeps the last 2,000), newest first,
//! filterable by group, member, partition and kind; clicking a line moves the timeline there.

use super::toolbar::format_time;
use super::{input_value, option, select_value};
use crate::model::{LoggedEvent, EVENT_LOG_CAPACITY};
use crate::state::Action;
use grouplab_engine::kernel::vecmap::VecSet;
use yew::prelude::*;

/// Lines rendered at most (the newest matching ones).
pub const MAX_LINES: usize = 200;

/// Engine event kinds that fire per batch or per commit (hidden unless asked for: by default
/// the log shows group and broker events).
pub const DETAIL_KINDS: [&str; 4] = ["appended", "replicated", "high_watermark", "committed"];

/// Event kinds of a rebalance: their lines open its sequence diagram.
pub const REBALANCE_KINDS: [&str; 5] = ["rebalance_started", "generation_started", "rebalance_completed", "group_epoch_bumped", "target_assignment_computed"];

/// The filter of the event log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub group: String,
    pub member: String,
    pub partition: String,
    pub kind: String,
    pub show_detail: bool,
}

impl Filter {
    /// Whether `e` passes the filter (empty fields match everything; member and partition match
    /// substrings).
    /// `group_clients`: client ids of the consumers of the filtered group (client-side
    /// protocol events name only their client).
    pub fn matches(&self, e: &LoggedEvent, group_clients: &[String]) -> bool {
        let m = e.meta();
        let needle = self.partition.trim();
        (self.show_detail || !self.kind.is_empty() || !DETAIL_KINDS.contains(&m.kind.as_str()))
            && (self.kind.is_empty() || m.kind == self.kind)
            && (self.group.is_empty()
                || m.group.as_deref() == Some(self.group.as_str())
                || (m.group.is_none() && m.member.iter().any(|x| group_clients.contains(x))))
            && (self.member.is_empty() || m.member.iter().any(|x| x.contains(self.member.as_str())))
            && (needle.is_empty()
                || m.partition.as_deref().is_some_and(|p| p.contains(needle))
                || m.partitions.iter().any(|p| p.contains(needle)))
    }
}

#[function_component(EventLog)]
pub fn event_log() -> Html {
    let ctx = use_context::<super::ViewContext>().expect("view context");
    let state = ctx.state.clone();
    let filter = use_state(Filter::default);
    let group_clients: Vec<String> = ctx
        .view
        .groups
        .iter()
        .filter(|g| g.group_id == filter.group)
        .flat_map(|g| g.consumers.iter().map(|c| c.client_id.clone()))
        .collect();
    let (lines, kinds, groups, total, now) = {
        let lab = state.lab.borrow();
        // `extend`, not `collect`: no extra copy of the standard sort in the wasm.
        let mut kinds = VecSet::new();
        kinds.extend(lab.events.iter().map(|e| e.meta().kind.clone()));
        let mut groups = VecSet::new();
        groups.extend(ctx.view.groups.iter().map(|g| g.group_id.clone()));
        let lines: Vec<(u64, u64, String, String, Option<String>)> = lab
            .events
            .iter()
            .rev()
            .filter(|e| filter.matches(e, &group_clients))
            .take(MAX_LINES)
            .map(|e| {
                let m = e.meta();
                let group = m.group.clone().filter(|_| REBALANCE_KINDS.contains(&m.kind.as_str()));
                (e.seq, e.event.at_ms, m.kind.clone(), e.event.to_string(), group)
            })
            .collect();
        (lines, kinds, groups, lab.events.len(), lab.now_ms())
    };
    let update = |f: fn(&mut Filter, String)| {
        let filter = filter.clone();
        Callback::from(move |v: String| {
            let mut x = (*filter).clone();
            f(&mut x, v);
            filter.set(x);
        })
    };
    let (text_input, select_input) = (input_value, select_value);
    let detail = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let mut x = (*filter).clone();
            x.show_detail = e.target_unchecked_into::<web_sys::HtmlInputElement>().checked();
            filter.set(x);
        })
    };
    html! {
        <section class="panel" aria-labelledby="log-title" data-testid="event-log">
            <h2 id="log-title">{ "Event log" }<small>{ format!("last {} of at most {EVENT_LOG_CAPACITY} · click a line to go there", total) }</small></h2>
            <div class="filters">
                <label>{ "Group " }
                    <select onchange={select_input(update(|f, v| f.group = v))} aria-label="Filter by group" data-testid="filter-group">
                        { option("", "all", filter.group.is_empty()) }
                        { for groups.iter().map(|g| option(g, g, filter.group == *g)) }
                    </select>
                </label>
                <label>{ "Kind " }
                    <select onchange={select_input(update(|f, v| f.kind = v))} aria-label="Filter by kind" data-testid="filter-kind">
                        { option("", "all", filter.kind.is_empty()) }
                        { for kinds.iter().map(|k| option(k, k, filter.kind == *k)) }
                    </select>
                </label>
                <label>{ "Member " }<input type="search" class="narrow" value={filter.member.clone()} oninput={text_input(update(|f, v| f.member = v))} aria-label="Filter by member or client id" data-testid="filter-member" /></label>
                <label>{ "Partition " }<input type="search" class="narrow" placeholder="orders-3" value={filter.partition.clone()} oninput={text_input(update(|f, v| f.partition = v))} aria-label="Filter by partition" data-testid="filter-partition" /></label>
                <label><input type="checkbox" checked={filter.show_detail} onchange={detail} />{ " detail: appends, replication, HW moves, commits" }</label>
            </div>
            <ol class="log-lines" aria-label="Events, newest first">
                { for lines.into_iter().map(|(seq, at, kind, text, rebalance)| {
                    let go = {
                        let state = state.clone();
                        Callback::from(move |_| state.dispatch(Action::Seek(at)))
                    };
                    let sequence = rebalance.map(|group| {
                        let state = state.clone();
                        let label = format!("Sequence diagram of the rebalance of {group} at {}", format_time(at));
                        let open = Callback::from(move |_| {
                            let window = state.lab.borrow().rebalance_window(&group, at);
                            state.dispatch(Action::OpenSequence(Some(window)))
                        });
                        html! { <button class="seq-open" aria-label={label} title="Open this rebalance's messages as a sequence diagram" data-testid="open-sequence" onclick={open}>{ "⇅" }</button> }
                    });
                    html! {
                        <li key={seq}>
                            <button class={if at == now { "line now" } else { "line" }} data-kind={kind} data-testid="log-line" data-at={at.to_string()}
                                aria-label={format!("Go to {}: {}", format_time(at), text)} onclick={go}>{ text }</button>
                            { for sequence }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    #[test]
    fn the_group_filter_also_catches_client_side_protocol_events() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(8_000);
        let clients = vec!["consumer-my-group-1".to_string()];
        let filter = Filter { group: "my-group".into(), ..Filter::default() };
        let matching: Vec<&LoggedEvent> = lab.events.iter().filter(|e| filter.matches(e, &clients)).collect();
        assert!(matching.iter().any(|e| e.meta().kind == "assigned"), "the consumer's own Assigned event");
        assert!(matching.iter().any(|e| e.meta().kind == "rebalance_completed"), "the coordinator's events");
        assert!(!matching.iter().any(|e| e.meta().kind == "high_watermark"));
        let everything = Filter::default();
        let default_kinds: Vec<&str> = lab.events.iter().filter(|e| everything.matches(e, &[])).map(|e| e.meta().kind.as_str()).collect();
        assert!(!default_kinds.iter().any(|k| DETAIL_KINDS.contains(k)), "by default no HW lines, appends or commits: {default_kinds:?}");
        assert!(lab.events.iter().any(|e| e.meta().kind == "high_watermark"), "the detail is there, a click away");
        let detail = Filter { show_detail: true, ..Filter::default() };
        assert!(lab.events.iter().filter(|e| detail.matches(e, &[])).any(|e| e.meta().kind == "high_watermark"));
        let by_partition = Filter { partition: "orders-3".into(), ..Filter::default() };
        assert!(lab.events.iter().filter(|e| by_partition.matches(e, &[])).all(|e| {
            let m = e.meta();
            m.partition.as_deref() == Some("orders-3") || m.partitions.iter().any(|p| p == "orders-3")
        }));
        let other = Filter { group: "other".into(), ..Filter::default() };
        assert_eq!(lab.events.iter().filter(|e| other.matches(e, &[])).count(), 0);
    }
}
