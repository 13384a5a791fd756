//! Topics as partition logs. Each partition is a ruler of offsets: deleted records (below the
//! log start offset), records visible to consumers (below the high watermark), records above the
//! HW (hatched: not yet replicated to the whole ISR), the log end offset, and — per group — the
//! committed offset (▼) and each owner's position (▲), with the span committed..position shaded:
//! those records are processed again if the owner crashes now. Large topics are paged.

use super::forms::{parse_number, Errors};
use super::glossary::term;
use super::{input_value, member_colour, option, select_value, set, use_keyed_effect, EffectKey, ViewContext, PAGE_SIZE};
use crate::actions;
use crate::state::Action;
use grouplab_engine::sim::records::RecordView;
use grouplab_engine::{GroupView, PartitionView, ProducerView, View};
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What each record's colour on a ruler says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordColour {
    /// Same key, same colour (and, with the default partitioner, the same partition).
    Key,
    /// One colour per producer.
    Producer,
    /// How many times this group processed each record: once, or again (after a crash or a
    /// rebalance: at-least-once delivery).
    Processed(String),
    /// No per-record colour.
    Off,
}

impl RecordColour {
    fn parse(value: &str) -> RecordColour {
        match value {
            "producer" => RecordColour::Producer,
            "off" => RecordColour::Off,
            v => match v.strip_prefix("processed:") {
                Some(group) => RecordColour::Processed(group.to_string()),
                None => RecordColour::Key,
            },
        }
    }

    fn value(&self) -> String {
        match self {
            RecordColour::Key => "key".into(),
            RecordColour::Producer => "producer".into(),
            RecordColour::Processed(g) => format!("processed:{g}"),
            RecordColour::Off => "off".into(),
        }
    }
}

/// Processed once by the group.
const PROCESSED_ONCE_RGB: [u8; 3] = [0, 158, 115];
/// Processed twice or more by the group.
const PROCESSED_AGAIN_RGB: [u8; 3] = [213, 94, 0];

/// Columns of the record strip drawn under each ruler (one record per column at most).
pub const RECORD_COLUMNS: usize = 600;

/// Okabe–Ito colours (colour-blind safe), RGB, matching `--c0..--c7` where they overlap.
const RECORD_PALETTE: [[u8; 3]; 8] =
    [[0, 114, 178], [230, 159, 0], [0, 158, 115], [204, 121, 167], [86, 180, 233], [213, 94, 0], [240, 228, 66], [120, 120, 120]];
/// Grey for records without a key.
const NULL_KEY_RGB: [u8; 3] = [170, 170, 170];

/// RGBA pixels (`RECORD_COLUMNS` × 1) of the record strip: each record paints the columns its
/// offset covers on a ruler whose full width is `scale` offsets; records above the high
/// watermark are paler; columns with no record (deleted, compacted, not yet written) stay clear.
/// When `records` is an even sample of a longer log (`sampled`), each record also fills the
/// columns up to the next sampled record, which it stands for. For
/// [`RecordColour::Processed`], `times[i]` is how often the group processed `records[i]`
/// (never-processed records stay clear).
pub fn record_pixels(records: &[RecordView], scale: u64, high_watermark: u64, by: &RecordColour, sampled: bool, times: &[u32]) -> Vec<u8> {
    let mut px = vec![0u8; RECORD_COLUMNS * 4];
    if *by == RecordColour::Off || scale == 0 {
        return px;
    }
    let column = |offset: u64| ((offset as u128 * RECORD_COLUMNS as u128) / scale as u128).min(RECORD_COLUMNS as u128) as usize;
    for (i, r) in records.iter().enumerate() {
        let rgb = match by {
            RecordColour::Key => r.key.map_or(NULL_KEY_RGB, |k| RECORD_PALETTE[k as usize % 7]),
            RecordColour::Producer => RECORD_PALETTE[r.producer as usize % 8],
            RecordColour::Processed(_) => match times.get(i).copied().unwrap_or(0) {
                0 => continue,
                1 => PROCESSED_ONCE_RGB,
                _ => PROCESSED_AGAIN_RGB,
            },
            RecordColour::Off => continue,
        };
        let alpha = if r.offset < high_watermark { 230 } else { 90 };
        let (a, mut b) = (column(r.offset), column(r.offset + 1));
        if sampled {
            b = b.max(records.get(i + 1).map_or(b, |next| column(next.offset)));
        }
        for c in a..b.max(a + 1).min(RECORD_COLUMNS) {
            px[c * 4..c * 4 + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], alpha]);
        }
    }
    px
}

/// Owner (client id, colour) of `topic`-`partition` in `group`, if any member has it assigned.
pub fn owner_of(group: &GroupView, topic: &str, partition: u32) -> Option<(String, String)> {
    group.members.iter().find_map(|m| {
        m.assigned.iter().any(|(t, p)| t == topic && *p == partition).then(|| (m.client_id.clone(), consumer_colour(group, &m.client_id)))
    })
}

/// A consumer's colour: its index among the group's consumers (stable while it lives).
pub fn consumer_colour(group: &GroupView, client_id: &str) -> String {
    member_colour(group.consumers.iter().position(|c| c.client_id == client_id).unwrap_or(7))
}

/// A mark on a partition ruler.
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Offset it points at.
    pub offset: u64,
    /// `committed` or `position`.
    pub kind: &'static str,
    /// Tooltip / accessible text.
    pub label: String,
    /// CSS colour.
    pub colour: String,
}

/// Committed offsets (per group) and positions (per owning consumer) of one partition, and the
/// "reprocessed if this consumer crashes now" spans (committed..position).
pub fn markers(view: &View, topic: &str, partition: u32) -> (Vec<Marker>, Vec<(u64, u64, String)>) {
    let mut marks = Vec::new();
    let mut spans = Vec::new();
    for g in &view.groups {
        let committed = g.lag.iter().find(|r| r.topic == topic && r.partition == partition).and_then(|r| r.committed);
        if let Some(c) = committed {
            marks.push(Marker { offset: c, kind: "committed", label: format!("{}: committed offset {c}", g.group_id), colour: "var(--text)".into() });
        }
        for (i, c) in g.consumers.iter().enumerate() {
            if c.lifecycle == "Crashed" || c.lifecycle == "Closed" || !c.assigned.iter().any(|(t, p)| t == topic && *p == partition) {
                continue;
            }
            let Some(pos) = c.positions.iter().find(|(t, p, _)| t == topic && *p == partition).and_then(|x| u64::try_from(x.2).ok()) else { continue };
            marks.push(Marker { offset: pos, kind: "position", label: format!("{}: position of {} is {pos}", g.group_id, c.client_id), colour: member_colour(i) });
            let from = committed.unwrap_or(pos);
            if pos > from {
                spans.push((from, pos, format!("{}: offsets {from}..{pos} are processed again if {} crashes now", g.group_id, c.client_id)));
            }
        }
    }
    (marks, spans)
}

#[function_component(TopicsPanel)]
pub fn topics_panel() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let view = ctx.view.clone();
    // The select's value (see `RecordColour::value`).
    let colour = use_state(|| "key".to_string());
    let record_colour = RecordColour::parse(&colour);
    html! {
        <section class="panel stack" aria-labelledby="topics-title">
            <h2 id="topics-title">{ "Topics" }<small>{ "partition logs: " }{ term("log start offset", "start") }{ " · " }
                { term("high watermark", "HW") }{ " · " }{ term("log end offset", "LEO") }</small></h2>
            <label class="record-colour" title="Each record on a ruler is a coloured tick: by key (records with the same key always land in the same partition: murmur2(key) % partitions), or by the producer that wrote it. Grey: null key (sticky partitioner). Pale: above the high watermark. Or by how many times a group processed each record: green once, orange twice or more (at-least-once: after a crash or a rebalance, records after the last committed offset are processed again).">
                { "Colour records by " }
                <select onchange={select_value(set(&colour))} aria-label="Colour records by" data-testid="record-colour">
                    { option("key", "key", record_colour == RecordColour::Key) }
                    { option("producer", "producer", record_colour == RecordColour::Producer) }
                    { for view.groups.iter().map(|g| &g.group_id).chain(view.share_groups.iter().map(|g| &g.group_id)).map(|id| {
                        let c = RecordColour::Processed(id.clone());
                        option(&c.value(), &format!("times processed by {id}"), record_colour == c)
                    }) }
                    { option("off", "nothing", record_colour == RecordColour::Off) }
                </select>
            </label>
            { for view.topics.iter().filter(|t| !t.internal).map(|t| html! { <TopicCard key={t.name.clone()} topic={t.name.clone()} colour={record_colour.clone()} /> }) }
            if view.topics.iter().all(|t| t.internal) { <p class="muted">{ "No topic yet: create one with + Topic." }</p> }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TopicCardProps {
    pub topic: String,
    /// What the record strips show.
    pub colour: RecordColour,
}

#[function_component(TopicCard)]
pub fn topic_card(props: &TopicCardProps) -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let state = ctx.state.clone();
    let page = use_state(|| 0usize);
    let grow_to = use_state(String::new);
    let errors = use_state(Errors::new);
    let view = &ctx.view;
    let Some(t) = view.topics.iter().find(|t| t.name == props.topic) else { return html! {} };
    let max_leo = t.partitions.iter().map(|p| p.log_end_offset).max().unwrap_or(0).max(10);
    let pages = t.partitions.len().div_ceil(PAGE_SIZE).max(1);
    let page_now = (*page).min(pages - 1);
    let rf = t.partitions.first().map_or(0, |p| p.replicas.len());
    let produce = {
        let state = state.clone();
        let name = t.name.clone();
        Callback::from(move |_| state.dispatch(Action::Apply(actions::produce(&name, 10))))
    };
    let add_partitions = {
        let (state, grow_to, errors, name, current) = (state.clone(), grow_to.clone(), errors.clone(), t.name.clone(), t.partitions.len() as u64);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut map = Errors::new();
            match parse_number::<u32>("new partition count", &grow_to, current + 1, 10_000) {
                Err(m) => {
                    map.insert("grow", m);
                }
                Ok(n) => {
                    let cmd = actions::create_partitions(&name, n);
                    match crate::state::apply_command(&state, cmd) {
                        Ok(()) => {
                            grow_to.set(String::new());
                        }
                        Err(e) => {
                            map.insert("grow", e.to_string());
                        }
                    }
                }
            }
            errors.set(map);
        })
    };
    let grow_id = format!("grow-{}", t.name);
    let grow_err = errors.get("grow").cloned();
    let producers: Vec<&ProducerView> = view.producers.iter().filter(|p| p.topic == t.name && p.active).collect();
    let go = |to: usize| {
        let page = page.clone();
        Callback::from(move |_: MouseEvent| page.set(to))
    };
    html! {
        <div class="topic" data-testid="topic" data-topic={t.name.clone()}>
            <h3>
                { format!("Topic {}", t.name) }
                <small>{ format!("{} partitions · ", t.partitions.len()) }{ term("replication factor", format!("RF {rf}")) }
                    { " · " }{ term("min.insync.replicas", format!("min.insync.replicas {}", t.min_insync_replicas)) }
                    { format!(" · {}", t.cleanup_policy) }</small>
            </h3>
            <div class="topic-actions">
                <button aria-label={format!("Produce 10 records to {}", t.name)} onclick={produce}>{ "Produce 10" }</button>
                <form class="inline" onsubmit={add_partitions} aria-label={format!("Add partitions to {}", t.name)}>
                    <label for={grow_id.clone()}>{ "Partitions →" }</label>
                    <input id={grow_id.clone()} type="number" class="narrow" placeholder={(t.partitions.len() + 1).to_string()} value={(*grow_to).clone()}
                        oninput={input_value(set(&grow_to))} aria-invalid={grow_err.is_some().to_string()} aria-describedby={grow_err.as_ref().map(|_| format!("{grow_id}-error"))} />
                    <button type="submit">{ "Add partitions" }</button>
                    if let Some(e) = grow_err { <span class="field-error" id={format!("{grow_id}-error")} data-testid="grow-error" role="alert">{ e }</span> }
                </form>
                { for producers.iter().map(|p| {
                    let stop = {
                        let state = state.clone();
                        let id = p.producer_id.clone();
                        Callback::from(move |_| state.dispatch(Action::Apply(actions::remove_producer(&id))))
                    };
                    html! {
                        <span class="producer" data-testid="producer">
                            { term("producer", p.producer_id.clone()) }
                            { format!(" {}/s acks={} · sent {} · acked {}{}", p.rate_per_sec, p.acks, p.sent, p.acknowledged, if p.failed > 0 { format!(" · failed {}", p.failed) } else { String::new() }) }
                            if p.idempotence { <span class="small muted">{ " · " }{ term("idempotent producer", "idempotent") }</span> }
                            if p.records_retried > 0 || p.pending > 0 {
                                <span class="small" data-testid="producer-retries">{ format!(" · retried {} · waiting {}", p.records_retried, p.pending) }</span>
                            }
                            if p.duplicates_written > 0 {
                                <span class="small bad">{ format!(" · {} duplicates written", p.duplicates_written) }</span>
                            }
                            <button class="small" aria-label={format!("Stop producer {}", p.producer_id)} onclick={stop}>{ "Stop" }</button>
                        </span>
                    }
                }) }
            </div>
            { for t.partitions.iter().skip(page_now * PAGE_SIZE).take(PAGE_SIZE).map(|p| html! {
                <PartitionRow key={p.partition} topic={t.name.clone()} partition={p.clone()} scale={max_leo} colour={props.colour.clone()} />
            }) }
            if pages > 1 {
                <nav class="pager" aria-label={format!("Partitions of {}", t.name)}>
                    <button aria-label="Previous partitions" disabled={page_now == 0} onclick={go(page_now.saturating_sub(1))}>{ "‹" }</button>
                    <span>{ format!("partitions {}–{} of {}", page_now * PAGE_SIZE, ((page_now + 1) * PAGE_SIZE).min(t.partitions.len()) - 1, t.partitions.len()) }</span>
                    <button aria-label="Next partitions" disabled={page_now + 1 >= pages} onclick={go((page_now + 1).min(pages - 1))}>{ "›" }</button>
                </nav>
            }
        </div>
    }
}

/// Puts the strip's pixels on its canvas (no-op when not mounted).
fn draw_strip(strip: &NodeRef, pixels: &[u8]) {
    let Some(canvas) = strip.cast::<web_sys::HtmlCanvasElement>() else { return };
    let Ok(Some(ctx)) = canvas.get_context("2d") else { return };
    let Ok(ctx) = ctx.dyn_into::<web_sys::CanvasRenderingContext2d>() else { return };
    if let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array(wasm_bindgen::Clamped(pixels), RECORD_COLUMNS as u32) {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}

#[derive(Properties, PartialEq)]
pub struct PartitionRowProps {
    pub topic: String,
    pub partition: PartitionView,
    /// Offset that maps to the full width of the ruler.
    pub scale: u64,
    /// What the record strip shows.
    pub colour: RecordColour,
}

#[function_component(PartitionRow)]
pub fn partition_row(props: &PartitionRowProps) -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let state = ctx.state.clone();
    let view = &ctx.view;
    let p = &props.partition;
    let strip = use_node_ref();
    {
        // Draw the record strip after each render of a new state: one read of the leader's log
        // (sampled to the strip's columns) and one putImageData.
        let (strip, state, topic, partition) = (strip.clone(), state.clone(), props.topic.clone(), p.partition);
        let (start, leo, hw, scale) = (p.log_start_offset, p.log_end_offset, p.high_watermark, props.scale);
        let by = props.colour.clone();
        let key = format!("{} {scale} {}", ctx.version, by.value());
        use_keyed_effect(
            EffectKey::Key(key),
            Box::new(move || {
                let lab = state.lab.borrow();
                let records = lab.sim.records(&topic, partition, start, leo, RECORD_COLUMNS);
                let times: Vec<u32> = match &by {
                    RecordColour::Processed(group) => records.iter().map(|r| lab.sim.times_processed(group, r)).collect(),
                    _ => Vec::new(),
                };
                let sampled = records.len() == RECORD_COLUMNS;
                let pixels = record_pixels(&records, scale, hw, &by, sampled, &times);
                draw_strip(&strip, &pixels);
                Box::new(|| ())
            }),
        );
    }
    let pct = |o: u64| format!("{:.3}%", 100.0 * o as f64 / props.scale as f64);
    let id = format!("{}-{}", props.topic, p.partition);
    let (marks, spans) = markers(view, &props.topic, p.partition);
    let leader = p.leader.map_or("offline".to_string(), |l| format!("leader {l}"));
    let isr: Vec<String> = p.isr.iter().map(|b| b.to_string()).collect();
    html! {
        <div class={classes!("partition", p.leader.is_none().then_some("offline"))} data-testid="partition" data-partition={id.clone()}
            data-hw={p.high_watermark.to_string()} data-leo={p.log_end_offset.to_string()}>
            <span class="name" title={format!("{leader}, ISR [{}]", isr.join(","))}>{ format!("P{}", p.partition) }
                <small>{ format!(" {} · isr {}", if let Some(l) = p.leader { format!("L{l}") } else { "offline".into() }, isr.join(",")) }</small></span>
            <div class="log" role="img"
                aria-label={format!("{id}: log start {}, high watermark {}, log end {}", p.log_start_offset, p.high_watermark, p.log_end_offset)}>
                if p.log_start_offset > 0 {
                    <div class="seg deleted" title={format!("offsets below {} deleted by retention", p.log_start_offset)} style={format!("left:0;width:{}", pct(p.log_start_offset))}></div>
                }
                <div class="seg visible" style={format!("left:{};width:{}", pct(p.log_start_offset), pct(p.high_watermark.saturating_sub(p.log_start_offset)))}></div>
                <div class="seg above-hw" title="Above the high watermark: not yet on every in-sync replica, invisible to consumers"
                    style={format!("left:{};width:{}", pct(p.high_watermark), pct(p.log_end_offset.saturating_sub(p.high_watermark)))}></div>
                <canvas class="records" ref={strip} width={RECORD_COLUMNS.to_string()} height="1" aria-hidden="true" data-testid="record-strip"></canvas>
                { for spans.iter().map(|(a, b, label)| html! {
                    <div class="seg reprocess" title={label.clone()} style={format!("left:{};width:{}", pct(*a), pct(b - a))}></div>
                }) }
                { for marks.iter().map(|m| html! {
                    <div class={classes!("marker", m.kind)} title={m.label.clone()} data-testid={format!("marker-{}", m.kind)}
                        style={format!("left:{};--mk:{}", pct(m.offset), m.colour)}></div>
                }) }
            </div>
            <span class="offsets">
                <span title="Log start offset">{ p.log_start_offset }</span>{ " · " }
                <span title="High watermark">{ format!("HW {}", p.high_watermark) }</span>{ " · " }
                <span title="Log end offset: the offset the next record will get">{ format!("LEO {}", p.log_end_offset) }</span>
                if p.compacted_records > 0 {
                    <span title="Records removed by the log cleaner (cleanup.policy=compact)">{ format!(" · compacted {}", p.compacted_records) }</span>
                }
                if p.lost_records > 0 {
                    <span class="lost" title="Records lost by an unclean election or truncation">{ format!(" · lost {}", p.lost_records) }</span>
                }
                { for view.groups.iter().map(|g| {
                    let owner = owner_of(g, &props.topic, p.partition);
                    let (name, colour) = owner.clone().unwrap_or_default();
                    html! {
                        <span class={classes!("owner-chip", owner.is_none().then_some("none"))}
                            style={format!("background:{colour}")}
                            data-testid="partition-owner" data-group={g.group_id.clone()}
                            data-partition={id.clone()} data-owner={name.clone()}
                            title={format!("Owner of {id} in group {}", g.group_id)}>
                            { if name.is_empty() { "–" } else { &name } }
                        </span>
                    }
                }) }
            </span>
        </div>
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn rec(offset: u64, key: Option<u32>, producer: u32) -> RecordView {
        RecordView { offset, key, producer, sequence: offset as u32 }
    }

    fn column(px: &[u8], c: usize) -> [u8; 4] {
        px[c * 4..c * 4 + 4].try_into().unwrap()
    }

    #[test]
    fn each_record_paints_its_share_of_the_strip() {
        // 6 offsets on 600 columns: 100 columns per record.
        let records = [rec(0, Some(0), 0), rec(1, Some(1), 0), rec(2, None, 1), rec(4, Some(0), 1)];
        let px = record_pixels(&records, 6, 3, &RecordColour::Key, false, &[]);
        assert_eq!(column(&px, 0), [0, 114, 178, 230]);
        assert_eq!(column(&px, 99), [0, 114, 178, 230]);
        assert_eq!(column(&px, 100), [230, 159, 0, 230], "key 1 has another colour");
        assert_eq!(column(&px, 250), [170, 170, 170, 230], "a null key is grey");
        assert_eq!(column(&px, 350)[3], 0, "offset 3 was compacted away: the column stays clear");
        assert_eq!(column(&px, 450), [0, 114, 178, 90], "above the high watermark: pale");
        assert_eq!(column(&px, 550)[3], 0, "offset 5 is not written yet");
        let by_producer = record_pixels(&records, 6, 3, &RecordColour::Producer, false, &[]);
        assert_eq!(column(&by_producer, 0), column(&by_producer, 100), "same producer, same colour");
        assert_ne!(column(&by_producer, 0), column(&by_producer, 250));
    }

    #[test]
    fn records_processed_again_stand_out() {
        let records = [rec(0, None, 0), rec(1, None, 0), rec(2, None, 0)];
        let by = RecordColour::parse("processed:my-group");
        assert_eq!(by, RecordColour::Processed("my-group".into()));
        assert_eq!(RecordColour::parse(&by.value()), by);
        let px = record_pixels(&records, 3, 3, &by, false, &[1, 2, 0]);
        assert_eq!(column(&px, 0), [0, 158, 115, 230], "once: green");
        assert_eq!(column(&px, 250), [213, 94, 0, 230], "twice: orange");
        assert_eq!(column(&px, 450)[3], 0, "never processed: clear");
    }

    #[test]
    fn dense_logs_and_the_off_setting() {
        let records: Vec<RecordView> = (0..5_000).step_by(9).map(|o| rec(o, Some(o as u32 % 3), 0)).collect();
        let px = record_pixels(&records, 5_000, 5_000, &RecordColour::Key, true, &[]);
        assert_eq!(px.len(), RECORD_COLUMNS * 4);
        assert!((0..RECORD_COLUMNS - 1).all(|c| column(&px, c)[3] == 230), "every column shows a record of the sample");
        let unsampled = record_pixels(&records, 5_000, 5_000, &RecordColour::Key, false, &[]);
        assert!((0..RECORD_COLUMNS).any(|c| column(&unsampled, c)[3] == 0), "true gaps stay visible when not sampled");
        assert!(record_pixels(&records, 5_000, 5_000, &RecordColour::Off, true, &[]).iter().all(|b| *b == 0));
        assert!(record_pixels(&records, 0, 0, &RecordColour::Key, true, &[]).iter().all(|b| *b == 0));
    }
}
