//! Share groups (KIP-932, "queues for Kafka"): state, epochs, coordinator and settings, the
//! consumers as cards (lifecycle, member state, assignment, records held and the locks the
//! broker keeps for them, processed / failed, the same actions as a consumer group's cards),
//! each share-partition as a ruler — finished records below the SPSO, the in-flight window
//! coloured by record state (available, acquired by a consumer in its colour with its lock
//! running out, acknowledged, archived), records not fetched yet up to the HW — and the
//! group's delivery accounting.

use super::glossary::term;
use super::groups::{consumer_card, seconds, state_term, ConsumerCard, Timeouts};
use super::{member_colour, CARD_PAGE_SIZE, PAGE_SIZE};
use crate::actions;
use crate::state::{Action, LabContext};
use grouplab_engine::api::view::{InFlightView, ShareConsumerView, ShareGroupView, ShareMemberView, SharePartitionView};
use grouplab_engine::group::share::settings::{AcknowledgementMode, OnFailure, ShareOffsetReset};
use grouplab_engine::{Command, ConsumerView, MemberView, View};
use yew::prelude::*;

/// In-flight ranges drawn per share-partition at most (the rest are summed up in the counts).
pub const MAX_RANGES: usize = 200;

/// The offsets a share-partition's ruler spans: some finished records below the SPSO, the
/// in-flight window, and the records not fetched yet up to the high watermark — at most as many
/// as the window holds (20 at least), so that a big lag does not squeeze the window.
pub fn ruler_span(p: &SharePartitionView) -> (u64, u64) {
    let to = fetched_to(p);
    let room = (to - p.start_offset).max(20);
    let hi = p.high_watermark.min(to + room).max(to).max(p.start_offset + 10);
    let lo = p.start_offset.saturating_sub(((hi - p.start_offset) / 8).max(2));
    (lo, hi)
}

/// The first offset after the in-flight window (the SPSO when the window is empty): where the
/// next share fetch acquires from.
pub fn fetched_to(p: &SharePartitionView) -> u64 {
    p.in_flight.last().map_or(p.start_offset, |r| r.last_offset + 1).max(p.start_offset)
}

/// The glossary key and CSS class of a record state (`ACQUIRED` → `acquired`).
pub fn state_class(state: &str) -> &'static str {
    match state {
        "AVAILABLE" => "available",
        "ACQUIRED" => "acquired",
        "ACKNOWLEDGED" => "acknowledged",
        _ => "archived",
    }
}

/// What an in-flight range is, for its tooltip: offsets, state, holder, delivery count and the
/// lock's time left.
pub fn range_title(r: &InFlightView, now_ms: u64, limit: u16) -> String {
    let offsets = if r.first_offset == r.last_offset { format!("offset {}", r.first_offset) } else { format!("offsets {}–{}", r.first_offset, r.last_offset) };
    let holder = r.client_id.as_deref().map_or(String::new(), |c| format!(" by {c}"));
    let lock = r.lock_deadline_ms.map_or(String::new(), |d| format!(" · acquisition lock expires in {}", seconds(d.saturating_sub(now_ms))));
    format!("{offsets}: {}{holder} · delivery count {} of {limit}{lock}", r.state, r.delivery_count)
}

/// The fraction of its acquisition lock an acquired range has left (1 just acquired, 0 expired).
pub fn lock_left(r: &InFlightView, now_ms: u64, lock_ms: u64) -> Option<f64> {
    let d = r.lock_deadline_ms?;
    Some((d.saturating_sub(now_ms) as f64 / lock_ms.max(1) as f64).clamp(0.0, 1.0))
}

/// The ranges the broker holds acquired for `client` (locked to it), with their partition.
pub fn locks_of<'a>(g: &'a ShareGroupView, client: &str) -> Vec<(&'a SharePartitionView, &'a InFlightView)> {
    g.partitions
        .iter()
        .flat_map(|p| p.in_flight.iter().map(move |r| (p, r)))
        .filter(|(_, r)| r.state == "ACQUIRED" && r.client_id.as_deref() == Some(client))
        .collect()
}

/// `share.auto.offset.reset` as Kafka spells it.
pub fn reset_name(reset: &ShareOffsetReset) -> &str {
    match reset {
        ShareOffsetReset::Latest => "latest",
        ShareOffsetReset::Earliest => "earliest",
        ShareOffsetReset::ByDuration(d) => d,
    }
}

/// The consumer to crash with the `c` shortcut among share consumers: the selected one if it
/// is a running share consumer, else the last running one.
pub fn share_crash_target(view: &View, selected: Option<&str>) -> Option<String> {
    let running: Vec<&ShareConsumerView> = view.share_groups.iter().flat_map(|g| &g.consumers).filter(|c| c.lifecycle != "Crashed" && c.lifecycle != "Closed").collect();
    match selected {
        Some(s) if running.iter().any(|c| c.client_id == s) => Some(s.to_string()),
        _ => running.last().map(|c| c.client_id.clone()),
    }
}

/// A share consumer as the consumer groups' card shows a consumer (`groups::consumer_card`):
/// the client's own view and its member on the coordinator.
pub fn as_consumer(c: &ShareConsumerView, m: Option<&ShareMemberView>) -> (ConsumerView, Option<MemberView>) {
    let consumer = ConsumerView {
        client_id: c.client_id.clone(),
        member_id: c.member_id.clone(),
        group_instance_id: None,
        lifecycle: c.lifecycle.clone(),
        member_state: c.member_state.clone(),
        member_epoch: c.member_epoch,
        generation: -1,
        protocol: String::new(),
        coordinator: None,
        assigned: c.assigned.clone(),
        positions: Vec::new(),
        pending_records: c.acquired,
        last_poll_ms: 0,
        fenced: false,
        error: c.error.clone(),
    };
    let member = m.map(|m| MemberView {
        member_id: m.member_id.clone(),
        client_id: m.client_id.clone(),
        group_instance_id: None,
        assigned: m.assigned.clone(),
        status: String::new(),
        is_leader: false,
        session_deadline_ms: m.session_deadline_ms,
        heartbeat_due_ms: c.heartbeat_due_ms,
        poll_deadline_ms: None,
        member_epoch: Some(m.member_epoch),
        target: None,
        revoking: Vec::new(),
        upgraded: None,
    });
    (consumer, member)
}

/// The share groups (a plain function, like the cluster panel); nothing when there is none
/// (create one with + Share group).
pub fn share_groups_panel(state: &LabContext, view: &View) -> Html {
    if view.share_groups.is_empty() {
        return html! {};
    }
    let selected = state.lab.borrow().selected.clone();
    let on_command = {
        let state = state.clone();
        Callback::from(move |cmd: Command| state.dispatch(Action::Apply(cmd)))
    };
    let on_select = {
        let state = state.clone();
        Callback::from(move |id: String| state.dispatch(Action::Select(Some(id))))
    };
    html! {
        <section class="stack" aria-label="Share groups">
            { for view.share_groups.iter().map(|g| share_group_card(g, view.now_ms, selected.as_deref(), &on_command, &on_select)) }
        </section>
    }
}

/// Kafka terms shown as `name value`, joined by dots.
fn facts(items: Vec<(&'static str, &'static str, String)>) -> Html {
    items.into_iter().enumerate().map(|(i, (key, name, value))| html! { <>{ if i > 0 { " · " } else { "" } }{ term(key, format!("{name} {value}")) }</> }).collect()
}

/// One share group's panel.
fn share_group_card(g: &ShareGroupView, now_ms: u64, selected: Option<&str>, on_command: &Callback<Command>, on_select: &Callback<String>) -> Html {
    let c = &g.config;
    let explicit = c.acknowledgement_mode == AcknowledgementMode::Explicit;
    let lock_ms = c.record_lock_duration_ms.unwrap_or(30_000);
    let limit = c.delivery_count_limit.unwrap_or(5);
    let timeouts = Timeouts { session_ms: c.session_timeout_ms.unwrap_or(45_000), heartbeat_ms: c.heartbeat_interval_ms.unwrap_or(5_000), max_poll_ms: 0 };
    let add = {
        let (on, cmd) = (on_command.clone(), actions::add_consumer(&g.group_id));
        Callback::from(move |_| on.emit(cmd.clone()))
    };
    let d = &g.delivery;
    let ack_mode = if explicit { ("explicit acknowledgement", "explicit") } else { ("implicit acknowledgement", "implicit") };
    html! {
        <div class="panel share-group" data-testid="share-group-panel" data-group={g.group_id.clone()} data-state={g.state.clone()}>
            <h2>
                { term("share group", format!("Share group {}", g.group_id)) }
                <span class={classes!("badge", g.state.clone())} data-testid="group-state">{ term(state_term(&g.state), g.state.clone()) }</span>
                <small>{ facts(vec![("group epoch", "group epoch", g.group_epoch.to_string()), ("target assignment epoch", "assignment epoch", g.assignment_epoch.to_string())]) }</small>
            </h2>
            <p class="muted small group-facts" data-testid="share-settings">
                { format!("reads {} · ", g.subscription.join(", ")) }
                { facts(vec![
                    ("group coordinator", "coordinator broker", g.coordinator.map_or("–".to_string(), |b| b.to_string())),
                    ("session timeout", "share.session.timeout.ms", timeouts.session_ms.to_string()),
                    ("share.auto.offset.reset", "share.auto.offset.reset", reset_name(&c.auto_offset_reset).to_string()),
                    ("acquisition lock", "share.record.lock.duration.ms", lock_ms.to_string()),
                    ("share.delivery.count.limit", "share.delivery.count.limit", limit.to_string()),
                    (ack_mode.0, "share.acknowledgement.mode", ack_mode.1.to_string()),
                    ("max.poll.records", "max.poll.records", c.max_poll_records.to_string()),
                ]) }
                { format!(" · processing {} ms per record", c.processing_time_ms) }
                if !c.failing_keys.is_empty() {
                    { format!(" · failing keys {} → ", c.failing_keys.join(", ")) }
                    { match c.on_failure { OnFailure::Release => term("RELEASE", "RELEASE"), OnFailure::Reject => term("REJECT", "REJECT") } }
                }
            </p>
            <p class="delivery small" data-testid="share-delivery" data-processed={d.processed.to_string()} data-duplicates={d.duplicates.to_string()}
                data-losses={d.losses.to_string()}>
                { format!("processed {} (distinct {}) · ", d.processed, d.distinct) }
                { facts(vec![
                    ("redelivery", "processed again:", d.duplicates.to_string()),
                    ("archived", "archived:", d.archived.to_string()),
                    ("per-key order", "key order broken:", d.ordering_violations.to_string()),
                ]) }
                <span class={(d.losses > 0).then_some("bad")} title="Records that left the window below the SPSO neither processed nor archived">{ format!(" · lost: {}", d.losses) }</span>
            </p>
            <div class="group-actions">
                <button class="primary" aria-label={format!("Add consumer to {}", g.group_id)}
                    title="A share consumer joins: every member is assigned partitions of the topic, several members per partition" onclick={add}>{ "Add consumer" }</button>
            </div>
            <div class="members">
                { for g.consumers.iter().enumerate().take(CARD_PAGE_SIZE).map(|(i, sc)| {
                    let (consumer, member) = as_consumer(sc, g.members.iter().find(|m| !sc.member_id.is_empty() && m.member_id == sc.member_id));
                    let locks = locks_of(g, &sc.client_id);
                    let locked: u64 = locks.iter().map(|(_, r)| r.last_offset - r.first_offset + 1).sum();
                    let soonest = locks.iter().filter_map(|(_, r)| r.lock_deadline_ms).min().map(|d| d.saturating_sub(now_ms));
                    let extra = html! {
                        <span class="small" data-testid="share-counts" data-acquired={sc.acquired.to_string()} data-locked={locked.to_string()}
                            data-processed={sc.processed.to_string()} data-lock-ms={soonest.map_or(String::new(), |l| l.to_string())}>
                            if sc.lifecycle == "Running" || sc.lifecycle == "Stalled" { { term("Acquired", format!("holds {} · ", sc.acquired)) } }
                            { format!("processed {} · failed {}", sc.processed, sc.failed) }
                            if let Some(left) = soonest {
                                <br />{ term("acquisition lock", format!("{locked} locked to it at the broker, a lock ends in {}", seconds(left))) }
                            }
                        </span>
                    };
                    consumer_card(&ConsumerCard {
                        group: &g.group_id,
                        consumer: &consumer,
                        member: member.as_ref(),
                        colour: member_colour(i),
                        leader: false,
                        selected: selected == Some(sc.client_id.as_str()),
                        now_ms,
                        timeouts,
                        on_command,
                        on_select,
                        share: true,
                        extra,
                    })
                }) }
            </div>
            if g.consumers.len() > CARD_PAGE_SIZE { <p class="muted small">{ format!("and {} more consumers (all in the cluster picture)", g.consumers.len() - CARD_PAGE_SIZE) }</p> }
            <h3 class="small share-partitions-title">{ term("share-partition", "Share-partitions") }</h3>
            { for g.partitions.iter().take(PAGE_SIZE).map(|p| share_partition_row(g, p, now_ms, lock_ms, limit)) }
            if g.partitions.len() > PAGE_SIZE { <p class="muted small">{ format!("and {} more share-partitions", g.partitions.len() - PAGE_SIZE) }</p> }
            <p class="legend muted small">
                { for [("available", "Available", "available"), ("acquired", "Acquired", "acquired (its consumer's colour; the bar along its foot: lock time left)"), ("acknowledged", "Acknowledged", "acknowledged"), ("archived", "archived", "archived")]
                    .into_iter().map(|(class, key, text)| html! { <><span class={classes!("state-key", class)}></span>{ term(key, text) }</> }) }
                <span class="state-key unfetched"></span>{ "not fetched yet" }
            </p>
        </div>
    }
}

/// One share-partition's ruler: finished below the SPSO, the in-flight ranges by state up to the
/// SPEO, not fetched yet up to the HW.
fn share_partition_row(g: &ShareGroupView, p: &SharePartitionView, now_ms: u64, lock_ms: u64, limit: u16) -> Html {
    let (lo, hi) = ruler_span(p);
    let scale = (hi - lo).max(1) as f64;
    // `left:…;width:…` of offsets `a..b` on the ruler.
    let place = |a: u64, b: u64| format!("left:{:.3}%;width:{:.3}%", 100.0 * a.saturating_sub(lo) as f64 / scale, 100.0 * b.saturating_sub(a.max(lo)) as f64 / scale);
    let id = format!("{}-{}", p.topic, p.partition);
    let to = fetched_to(p);
    // The HW past the ruler's end (a big lag) is drawn at its end.
    let marks = [("spso", format!("SPSO {}: share-partition start offset", p.start_offset), p.start_offset), ("speo", format!("SPEO {}: the last offset fetched", p.end_offset), to), ("hw", format!("HW {}: high watermark", p.high_watermark), p.high_watermark.min(hi))];
    html! {
        <div class={classes!("partition", p.leader.is_none().then_some("offline"))} data-testid="share-partition" data-partition={id.clone()}
            data-spso={p.start_offset.to_string()} data-hw={p.high_watermark.to_string()}>
            <span class="name" title="held by the partition's leader">{ id.clone() }<small>{ p.leader.map_or(" offline".to_string(), |l| format!(" L{l}")) }</small></span>
            <div class="log" role="img" aria-label={format!("{id}: SPSO {}, SPEO {}, high watermark {}", p.start_offset, p.end_offset, p.high_watermark)}>
                <div class="seg done" title="below the SPSO: every record acknowledged or archived" style={place(lo, p.start_offset)}></div>
                <div class="seg unfetched" title="not fetched by the share group yet" style={place(to, p.high_watermark)}></div>
                { for p.in_flight.iter().take(MAX_RANGES).map(|r| {
                    let holder = r.client_id.as_deref().map_or(String::new(), |c| format!(";--mc:{}", member_colour(g.consumers.iter().position(|x| x.client_id == c).unwrap_or(7))));
                    html! {
                        <div class={classes!("seg", "inflight", state_class(&r.state))} title={range_title(r, now_ms, limit)} data-testid="in-flight"
                            data-state={r.state.clone()} data-delivery-count={r.delivery_count.to_string()}
                            data-client-id={r.client_id.clone().unwrap_or_default()} style={format!("{}{holder}", place(r.first_offset, r.last_offset + 1))}>
                            if let Some(f) = lock_left(r, now_ms, lock_ms) { <div class="lock" style={format!("width:{:.1}%", f * 100.0)}></div> }
                        </div>
                    }
                }) }
                { for marks.into_iter().map(|(class, title, at)| html! {
                    <div class={classes!("marker", class)} {title} style={format!("left:{:.3}%", 100.0 * at.saturating_sub(lo) as f64 / scale)}></div>
                }) }
            </div>
            <span class="offsets">
                { facts(vec![("SPSO", "SPSO", p.start_offset.to_string()), ("SPEO", "SPEO", p.end_offset.to_string()), ("high watermark", "HW", p.high_watermark.to_string()), ("share lag", "lag", p.lag.to_string())]) }
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(first: u64, last: u64, state: &str, client: Option<&str>, deadline: Option<u64>) -> InFlightView {
        InFlightView { first_offset: first, last_offset: last, state: state.into(), delivery_count: 1, client_id: client.map(str::to_string), lock_deadline_ms: deadline }
    }

    fn partition(start: u64, hw: u64, in_flight: Vec<InFlightView>) -> SharePartitionView {
        let end = in_flight.last().map_or(start as i64, |r| r.last_offset as i64);
        SharePartitionView { topic: "jobs".into(), partition: 0, leader: Some(0), start_offset: start, end_offset: end, high_watermark: hw, lag: 0, in_flight, counts: [0; 4] }
    }

    #[test]
    fn the_ruler_spans_a_little_history_the_window_and_up_to_the_hw() {
        let p = partition(100, 180, vec![range(100, 104, "ACQUIRED", Some("a"), Some(30_000)), range(105, 109, "ACKNOWLEDGED", None, None)]);
        assert_eq!(fetched_to(&p), 110);
        assert_eq!(ruler_span(&p), (97, 130), "an eighth of the span below the SPSO; 20 records not fetched yet of the 70");
        let near = partition(100, 115, vec![range(100, 109, "ACQUIRED", Some("a"), Some(30_000))]);
        assert_eq!(ruler_span(&near), (98, 115), "up to the HW when it is near");
        let empty = partition(0, 0, vec![]);
        assert_eq!(fetched_to(&empty), 0);
        assert_eq!(ruler_span(&empty), (0, 10), "a fresh share-partition still has a ruler");
        // A window past the HW never happens, but the ruler still covers it.
        let odd = partition(5, 3, vec![range(5, 40, "AVAILABLE", None, None)]);
        assert_eq!(ruler_span(&odd).1, 41);
    }

    #[test]
    fn ranges_say_their_state_holder_delivery_count_and_lock() {
        let r = range(87, 91, "ACQUIRED", Some("consumer-work-2"), Some(34_665));
        assert_eq!(range_title(&r, 10_000, 5), "offsets 87–91: ACQUIRED by consumer-work-2 · delivery count 1 of 5 · acquisition lock expires in 24.7 s");
        assert_eq!(range_title(&range(3, 3, "ARCHIVED", None, None), 0, 5), "offset 3: ARCHIVED · delivery count 1 of 5");
        assert_eq!(lock_left(&r, 4_665, 30_000), Some(1.0));
        assert_eq!(lock_left(&r, 19_665, 30_000), Some(0.5));
        assert_eq!(lock_left(&r, 99_000, 30_000), Some(0.0));
        assert_eq!(lock_left(&range(0, 1, "AVAILABLE", None, None), 0, 30_000), None);
        assert_eq!(["AVAILABLE", "ACQUIRED", "ACKNOWLEDGED", "ARCHIVED"].map(state_class), ["available", "acquired", "acknowledged", "archived"]);
    }

    /// A share group in the engine: three consumers on a one-partition topic all read it; a crash
    /// leaves the victim's records locked to it until the lock expires, then others get them.
    #[test]
    fn a_crashed_consumer_keeps_its_locks_until_they_expire() {
        use crate::model::{default_scenario, Lab};
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(actions::create_topic("jobs", 1, 3)).unwrap();
        lab.apply(actions::add_producer("jobs", 50, 5, Default::default())).unwrap();
        let settings = grouplab_engine::group::share::settings::ShareGroupSettings { processing_time_ms: 100, max_poll_records: 10, ..Default::default() };
        lab.apply(actions::create_share_group("work", "jobs", settings)).unwrap();
        for _ in 0..3 {
            lab.apply(actions::add_consumer("work")).unwrap();
        }
        lab.advance_by(6_000);
        let view = lab.view();
        let g = &view.share_groups[0];
        assert!(g.consumers.iter().all(|c| c.processed > 0), "{:?}", g.consumers);
        let victim = g.consumers.iter().find(|c| !locks_of(g, &c.client_id).is_empty()).expect("someone holds records").client_id.clone();
        let locked = locks_of(g, &victim).iter().map(|(_, r)| r.first_offset).collect::<Vec<_>>();
        lab.apply(actions::crash_consumer(&victim)).unwrap();
        lab.advance_by(10_000);
        let view = lab.view();
        let still: Vec<u64> = locks_of(&view.share_groups[0], &victim).iter().map(|(_, r)| r.first_offset).collect();
        assert_eq!(still, locked, "locked to the crashed consumer for share.record.lock.duration.ms");
        assert_eq!(share_crash_target(&view, Some(&victim)).as_deref().map(|c| c != victim), Some(true), "a crashed consumer is not crashed again");
        lab.advance_by(25_000);
        let view = lab.view();
        let g = &view.share_groups[0];
        assert!(locks_of(g, &victim).is_empty(), "the locks expired");
        assert!(g.delivery.duplicates > 0 || g.partitions[0].in_flight.iter().any(|r| r.delivery_count > 1), "redelivered: {:?}", g.partitions[0]);
    }
}
