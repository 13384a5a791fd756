//! The event log: one line per engine event (the model keeps the last 2,000), newest first,
//! filterable by group, member, partition and kind; clicking a line moves the timeline there.

use super::toolbar::format_time;
use crate::model::{LoggedEvent, EVENT_LOG_CAPACITY};
use crate::state::{Action, LabContext};
use std::collections::BTreeSet;
use yew::prelude::*;

/// Lines rendered at most (the newest matching ones).
pub const MAX_LINES: usize = 200;

/// Engine event kinds that fire per batch (hidden unless asked for).
pub const DETAIL_KINDS: [&str; 2] = ["appended", "replicated"];

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
    pub fn matches(&self, e: &LoggedEvent) -> bool {
        let m = e.meta();
        (self.show_detail || !self.kind.is_empty() || !DETAIL_KINDS.contains(&m.kind.as_str()))
            && (self.kind.is_empty() || m.kind == self.kind)
            && (self.group.is_empty() || m.group.as_deref() == Some(self.group.as_str()))
            && (self.member.is_empty() || m.member.iter().any(|x| x.contains(self.member.as_str())))
            && (self.partition.is_empty() || m.partition.as_deref().is_some_and(|p| p.contains(self.partition.trim())))
    }
}

#[function_component(EventLog)]
pub fn event_log() -> Html {
    let state = use_context::<LabContext>().expect("lab context");
    let filter = use_state(Filter::default);
    let (lines, kinds, groups, total, now) = {
        let lab = state.lab.borrow();
        let kinds: BTreeSet<String> = lab.events.iter().map(|e| e.meta().kind.clone()).collect();
        let groups: BTreeSet<String> = lab.events.iter().filter_map(|e| e.meta().group.clone()).collect();
        let lines: Vec<(u64, u64, String, String)> = lab
            .events
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(MAX_LINES)
            .map(|e| (e.seq, e.event.at_ms(), e.meta().kind.clone(), e.event.to_string()))
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
    let text_input = |cb: Callback<String>| Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<web_sys::HtmlInputElement>().value()));
    let select_input = |cb: Callback<String>| Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()));
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
                        <option value="" selected={filter.group.is_empty()}>{ "all" }</option>
                        { for groups.iter().map(|g| html! { <option value={g.clone()} selected={filter.group == *g}>{ g.clone() }</option> }) }
                    </select>
                </label>
                <label>{ "Kind " }
                    <select onchange={select_input(update(|f, v| f.kind = v))} aria-label="Filter by kind" data-testid="filter-kind">
                        <option value="" selected={filter.kind.is_empty()}>{ "all" }</option>
                        { for kinds.iter().map(|k| html! { <option value={k.clone()} selected={filter.kind == *k}>{ k.clone() }</option> }) }
                    </select>
                </label>
                <label>{ "Member " }<input type="search" class="narrow" value={filter.member.clone()} oninput={text_input(update(|f, v| f.member = v))} aria-label="Filter by member or client id" data-testid="filter-member" /></label>
                <label>{ "Partition " }<input type="search" class="narrow" placeholder="orders-3" value={filter.partition.clone()} oninput={text_input(update(|f, v| f.partition = v))} aria-label="Filter by partition" data-testid="filter-partition" /></label>
                <label><input type="checkbox" checked={filter.show_detail} onchange={detail} />{ " appends & fetches" }</label>
            </div>
            <ol class="log-lines" aria-label="Events, newest first">
                { for lines.into_iter().map(|(seq, at, kind, text)| {
                    let state = state.clone();
                    let go = Callback::from(move |_| state.dispatch(Action::Seek(at)));
                    html! {
                        <li key={seq}>
                            <button class={classes!("line", (at == now).then_some("now"))} data-kind={kind} data-testid="log-line" data-at={at.to_string()} onclick={go}
                                aria-label={format!("Go to {}: {}", format_time(at), text)}>{ text }</button>
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
