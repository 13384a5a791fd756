//! The cluster picture: the figure consumer groups are taught with, drawn from the view in SVG.
//!
//! Brokers are columns hosting their partitions' replicas (one row per partition: leader filled,
//! follower outlined, out of the ISR dashed; the coordinator of each group starred on its
//! broker), and each group is a box of its consumers on the right. An edge runs from each
//! partition to the consumer of each group that owns it, in the group's colour; when ownership
//! moves, the edge's path moves with a CSS transition whose length follows the playback speed
//! (`--edge-ms`; at high speed it jumps). A partition with no owner keeps a faded edge to its
//! last owner. A share group (KIP-932) is a box of its consumers too, with one edge from a
//! partition to every member assigned to it (several read one partition), faded while that
//! consumer is not running. Group-protocol messages in flight are tokens on the line between their consumer
//! and broker, placed by `(now − sent) / (due − sent)`; the messages delivered in the last
//! moment stay a little while as fading tokens at their receiver, so a 5 ms hop is seen at any
//! speed. Past [`AGGREGATE_PARTITIONS`] partitions the rows become topics and the edges bundle
//! per consumer with counts; past [`MAX_CONSUMER_NODES`] consumers a group's rest is one node.
//!
//! [`layout`] is a pure function of the view (tested natively); the component only draws it.

use super::ViewContext;
use crate::state::Action;
use grouplab_engine::{MessageView, View};
use yew::prelude::*;

/// Above this many partitions (of user topics), rows are topics and edges are bundled.
pub const AGGREGATE_PARTITIONS: usize = 48;
/// Consumers drawn per group; the rest become one "+N more" node.
pub const MAX_CONSUMER_NODES: usize = 24;
/// Tokens drawn at most (in flight and recently delivered).
pub const MAX_TOKENS: usize = 80;

const PAD: f64 = 10.0;
const HEAD_H: f64 = 62.0;
/// Where tokens reach a broker: a lane under the broker's name, status and coordinator star.
const TOKEN_LANE_Y: f64 = 52.0;
const BROKER_W: f64 = 46.0;
const ROW_H: f64 = 18.0;
const TOPIC_H: f64 = 18.0;
const AGG_ROW_H: f64 = 30.0;
const LABEL_W: f64 = 92.0;
const SPAN_W: f64 = 230.0;
const GROUP_W: f64 = 270.0;
const GROUP_HEAD_H: f64 = 22.0;
const NODE_H: f64 = 24.0;
const NODE_GAP: f64 = 4.0;
const GROUP_GAP: f64 = 14.0;

/// One broker column.
#[derive(Clone, Debug, PartialEq)]
pub struct BrokerCol {
    pub id: u32,
    pub x: f64,
    pub alive: bool,
    pub fenced: bool,
    /// Groups it coordinates.
    pub coordinates: Vec<String>,
}

/// A replica cell: one partition (or, aggregated, one topic) on one broker.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub broker: u32,
    pub leader: bool,
    pub in_isr: bool,
    /// Aggregated: `replicas/leaders` of the topic on this broker.
    pub count: Option<(usize, usize)>,
}

/// One row: a partition, or (aggregated) a topic.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub topic: String,
    /// `None` for a topic row.
    pub partition: Option<u32>,
    pub label: String,
    pub y: f64,
    pub cells: Vec<Cell>,
    /// A topic heading drawn above the row.
    pub heading: Option<String>,
    pub offline: bool,
}

/// One consumer node (or a group's "+N more" node).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub client_id: String,
    pub y: f64,
    /// `running`, `stalled`, `closed`, `crashed`; `more` for the bundled rest.
    pub lifecycle: String,
    pub partitions: usize,
    /// Session time left on the coordinator (a crashed consumer's timer still running).
    pub session_left_ms: Option<u64>,
    pub session_timeout_ms: u64,
    pub leader: bool,
    /// A consumer-protocol member's epoch and reconciliation state on the coordinator (a share
    /// member's epoch, with no state).
    pub epoch: Option<(i32, String)>,
    /// A share consumer's records held (acquired, not yet acknowledged).
    pub held: Option<u64>,
}

/// One group's box.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    pub group_id: String,
    pub state: String,
    /// `epoch 3` for a consumer-protocol group, `gen 3` for a classic one.
    pub epoch: String,
    pub colour: String,
    pub y: f64,
    pub h: f64,
    pub nodes: Vec<Node>,
    /// A share group's box.
    pub share: bool,
}

/// One ownership edge: a partition (or a bundle of a topic's partitions) to a consumer.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// `edge-<group>-<topic>-<partition>`, or `bundle-<group>-<topic>-<client>`; for a share
    /// group `share-edge-<group>-<topic>-<partition>-<client>` (one per member assigned) or
    /// `share-bundle-<group>-<topic>-<client>`.
    pub key: String,
    pub group_id: String,
    pub topic: String,
    pub partition: Option<u32>,
    /// The owner's `client.id`; empty while the partition has no owner (the edge then points
    /// at its last owner, faded).
    pub owner: String,
    /// Partitions in a bundle (1 for a single edge).
    pub count: usize,
    pub colour: String,
    pub path: String,
    /// Where the edge ends, at its consumer's node (a bundle's count is drawn above it).
    pub end_y: f64,
    /// Drawn faded: a consumer group's partition without owner, a share group's member whose
    /// consumer is not running.
    pub faded: bool,
}

/// A message token.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub message: MessageView,
    /// The label drawn (API, and the reply's error) and its width.
    pub label: String,
    pub width: f64,
    /// Centre of the token.
    pub x: f64,
    pub y: f64,
    /// Delivered already (a fading trail) rather than in flight.
    pub delivered: bool,
}

/// The whole picture, in SVG user units.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub width: f64,
    pub height: f64,
    pub aggregated: bool,
    pub brokers: Vec<BrokerCol>,
    pub rows: Vec<Row>,
    pub groups: Vec<GroupBox>,
    pub edges: Vec<Edge>,
    pub tokens: Vec<Token>,
    /// x of the rows' right end, where edges start.
    pub edge_x: f64,
    /// x of the group boxes.
    pub group_x: f64,
}

/// The colour of the n-th group (the palette, spread so neighbours differ).
pub fn group_colour(index: usize) -> String {
    const ORDER: [usize; 6] = [0, 5, 2, 3, 1, 4];
    format!("var(--c{})", ORDER[index % ORDER.len()])
}

fn curve(x1: f64, y1: f64, x2: f64, y2: f64) -> String {
    let dx = (x2 - x1) * 0.5;
    format!("M{x1:.1} {y1:.1}C{:.1} {y1:.1} {:.1} {y2:.1} {x2:.1} {y2:.1}", x1 + dx, x2 - dx)
}

/// What a consumer's node is drawn from (a consumer group's or a share group's consumer).
struct NodeOf<'a> {
    client_id: &'a str,
    lifecycle: &'a str,
    partitions: usize,
    session_deadline_ms: Option<u64>,
    leader: bool,
    epoch: Option<(i32, String)>,
    held: Option<u64>,
}

/// A group's box at `y`: a node per consumer, past [`MAX_CONSUMER_NODES`] the rest as one.
#[allow(clippy::too_many_arguments)]
fn group_box(group_id: &str, state: &str, epoch: String, colour: String, y: f64, members: Vec<NodeOf>, now_ms: u64, session_timeout_ms: u64, share: bool) -> GroupBox {
    let shown = if members.len() > MAX_CONSUMER_NODES { MAX_CONSUMER_NODES - 1 } else { members.len() };
    let node_y = |i: usize| y + GROUP_HEAD_H + i as f64 * (NODE_H + NODE_GAP) + NODE_H / 2.0;
    let mut nodes: Vec<Node> = members
        .iter()
        .take(shown)
        .enumerate()
        .map(|(i, c)| Node {
            client_id: c.client_id.to_string(),
            y: node_y(i),
            lifecycle: c.lifecycle.to_ascii_lowercase(),
            partitions: c.partitions,
            session_left_ms: c.session_deadline_ms.map(|d| d.saturating_sub(now_ms)),
            session_timeout_ms,
            leader: c.leader,
            epoch: c.epoch.clone(),
            held: c.held,
        })
        .collect();
    if shown < members.len() {
        let rest = &members[shown..];
        nodes.push(Node {
            client_id: format!("+{} more", rest.len()),
            y: node_y(shown),
            lifecycle: "more".into(),
            partitions: rest.iter().map(|c| c.partitions).sum(),
            session_left_ms: None,
            session_timeout_ms,
            leader: false,
            epoch: None,
            held: rest.iter().map(|c| c.held).sum(),
        });
    }
    let h = (nodes.len() as f64 * (NODE_H + NODE_GAP) + GROUP_HEAD_H).max(GROUP_HEAD_H + NODE_H);
    GroupBox { group_id: group_id.to_string(), state: state.to_string(), epoch, colour, y, h, nodes, share }
}

/// Lays the picture out from the view. `recent` are messages delivered a moment ago (drawn
/// as fading tokens at their receiver).
pub fn layout(view: &View, recent: &[MessageView]) -> Picture {
    let user: Vec<_> = view.topics.iter().filter(|t| !t.internal).collect();
    let partitions: usize = user.iter().map(|t| t.partitions.len()).sum();
    let aggregated = partitions > AGGREGATE_PARTITIONS;
    let brokers: Vec<BrokerCol> = view
        .brokers
        .iter()
        .enumerate()
        .map(|(i, b)| BrokerCol {
            id: b.id,
            x: PAD + i as f64 * BROKER_W,
            alive: b.alive,
            fenced: b.fenced,
            coordinates: view
                .groups
                .iter()
                .map(|g| (&g.group_id, g.coordinator))
                .chain(view.share_groups.iter().map(|g| (&g.group_id, g.coordinator)))
                .filter(|(_, c)| *c == Some(b.id))
                .map(|(id, _)| id.clone())
                .collect(),
        })
        .collect();
    let broker_x = |id: u32| brokers.iter().find(|b| b.id == id).map_or(PAD, |b| b.x + BROKER_W / 2.0);
    let label_x = PAD + brokers.len() as f64 * BROKER_W + 6.0;
    let edge_x = label_x + LABEL_W;
    let group_x = edge_x + SPAN_W;

    // Rows.
    let mut rows = Vec::new();
    let mut y = HEAD_H;
    for t in &user {
        if aggregated {
            let cells = view
                .brokers
                .iter()
                .filter_map(|b| {
                    let replicas = t.partitions.iter().filter(|p| p.replicas.contains(&b.id)).count();
                    let leaders = t.partitions.iter().filter(|p| p.leader == Some(b.id)).count();
                    (replicas > 0).then_some(Cell { broker: b.id, leader: leaders > 0, in_isr: true, count: Some((replicas, leaders)) })
                })
                .collect();
            let offline = t.partitions.iter().filter(|p| p.leader.is_none()).count();
            rows.push(Row {
                topic: t.name.clone(),
                partition: None,
                label: format!("{} ×{}", t.name, t.partitions.len()),
                y: y + AGG_ROW_H / 2.0,
                cells,
                heading: None,
                offline: offline > 0,
            });
            y += AGG_ROW_H;
        } else {
            y += TOPIC_H;
            for (i, p) in t.partitions.iter().enumerate() {
                let cells = p
                    .replicas
                    .iter()
                    .map(|&b| Cell { broker: b, leader: p.leader == Some(b), in_isr: p.isr.contains(&b), count: None })
                    .collect();
                rows.push(Row {
                    topic: t.name.clone(),
                    partition: Some(p.partition),
                    label: format!("{}-{}", t.name, p.partition),
                    y: y + ROW_H / 2.0,
                    cells,
                    heading: (i == 0).then(|| t.name.clone()),
                    offline: p.leader.is_none(),
                });
                y += ROW_H;
            }
        }
    }
    let rows_bottom = y;

    // Group boxes: the consumer groups', then the share groups'.
    let mut groups = Vec::new();
    let mut gy = HEAD_H;
    for (gi, g) in view.groups.iter().enumerate() {
        let members = g.consumers.iter().map(|c| {
            let member = g.members.iter().find(|m| !c.member_id.is_empty() && m.member_id == c.member_id);
            NodeOf {
                client_id: &c.client_id,
                lifecycle: &c.lifecycle,
                partitions: c.assigned.len(),
                session_deadline_ms: member.and_then(|m| m.session_deadline_ms),
                leader: member.is_some_and(|m| m.is_leader),
                epoch: member.and_then(|m| m.member_epoch.map(|e| (e, m.status.clone()))),
                held: None,
            }
        });
        let epoch = match g.group_epoch {
            Some(e) => format!("epoch {e}"),
            None => format!("gen {}", g.generation),
        };
        let b = group_box(&g.group_id, &g.state, epoch, group_colour(gi), gy, members.collect(), view.now_ms, g.config.session_timeout_ms, false);
        gy += b.h + GROUP_GAP;
        groups.push(b);
    }
    for (si, g) in view.share_groups.iter().enumerate() {
        let members = g.consumers.iter().map(|c| {
            let member = g.members.iter().find(|m| !c.member_id.is_empty() && m.member_id == c.member_id);
            NodeOf {
                client_id: &c.client_id,
                lifecycle: &c.lifecycle,
                partitions: c.assigned.len(),
                session_deadline_ms: member.and_then(|m| m.session_deadline_ms),
                leader: false,
                epoch: member.map(|m| (m.member_epoch, String::new())),
                held: Some(c.acquired),
            }
        });
        let colour = group_colour(view.groups.len() + si);
        let b = group_box(&g.group_id, &g.state, format!("epoch {}", g.group_epoch), colour, gy, members.collect(), view.now_ms, g.config.session_timeout_ms.unwrap_or(0), true);
        gy += b.h + GROUP_GAP;
        groups.push(b);
    }

    // Edges: from each row to the node of its owner (or, unowned, its last owner), per group.
    let row_y = |topic: &str, partition: Option<u32>| rows.iter().find(|r| r.topic == topic && (aggregated || r.partition == partition)).map(|r| r.y);
    let mut edges = Vec::new();
    for (g, gb) in view.groups.iter().zip(&groups) {
        let more = gb.nodes.last().filter(|n| n.lifecycle == "more").map(|n| n.y);
        let node_y = |client: &str| gb.nodes.iter().find(|n| n.client_id == client).map(|n| n.y).or(more);
        if aggregated {
            // (topic, client) → partitions owned.
            let mut bundles: Vec<(String, String, usize)> = Vec::new();
            for l in &g.lag {
                let Some(owner) = &l.owner else { continue };
                let client = if gb.nodes.iter().any(|n| &n.client_id == owner) { owner.clone() } else { gb.nodes.last().map(|n| n.client_id.clone()).unwrap_or_default() };
                match bundles.iter_mut().find(|(t, c, _)| *t == l.topic && *c == client) {
                    Some(b) => b.2 += 1,
                    None => bundles.push((l.topic.clone(), client, 1)),
                }
            }
            for (topic, client, count) in bundles {
                let (Some(sy), Some(cy)) = (row_y(&topic, None), node_y(&client)) else { continue };
                edges.push(Edge {
                    key: format!("bundle-{}-{topic}-{client}", g.group_id),
                    group_id: g.group_id.clone(),
                    topic,
                    partition: None,
                    owner: client,
                    count,
                    colour: gb.colour.clone(),
                    path: curve(edge_x, sy, group_x + 6.0, cy),
                    end_y: cy,
                    faded: false,
                });
            }
        } else {
            for (l, o) in g.lag.iter().zip(&g.ownership) {
                debug_assert!(l.topic == o.topic && l.partition == o.partition);
                let last = o.changes.iter().rev().find_map(|c| c.owner.as_deref());
                let Some(target) = l.owner.as_deref().or(last) else { continue };
                let (Some(sy), Some(cy)) = (row_y(&l.topic, Some(l.partition)), node_y(target)) else { continue };
                edges.push(Edge {
                    key: format!("edge-{}-{}-{}", g.group_id, l.topic, l.partition),
                    group_id: g.group_id.clone(),
                    topic: l.topic.clone(),
                    partition: Some(l.partition),
                    owner: l.owner.clone().unwrap_or_default(),
                    count: 1,
                    colour: gb.colour.clone(),
                    path: curve(edge_x, sy, group_x + 6.0, cy),
                    end_y: cy,
                    faded: l.owner.is_none(),
                });
            }
        }
    }
    // Share groups: an edge from a partition to every member assigned to it (bundled per
    // consumer and topic when aggregated; members past the drawn nodes share the "+N more" one).
    for (g, gb) in view.share_groups.iter().zip(groups.iter().filter(|b| b.share)) {
        let more = gb.nodes.last().filter(|n| n.lifecycle == "more");
        // (topic, partition or none when aggregated, node) → members.
        let mut links: Vec<(&str, Option<u32>, &Node, usize)> = Vec::new();
        // One member per consumer: a restarted consumer's old member may not have expired yet.
        let current = |m: &&grouplab_engine::api::view::ShareMemberView| g.consumers.iter().any(|c| c.member_id == m.member_id);
        let mut members: Vec<_> = g.members.iter().filter(current).collect();
        members.extend(g.members.iter().filter(|m| !current(m) && !g.members.iter().any(|o| current(&o) && o.client_id == m.client_id)));
        for m in members {
            let Some(node) = gb.nodes.iter().find(|n| n.client_id == m.client_id && n.lifecycle != "more").or(more) else { continue };
            for (topic, partition) in &m.assigned {
                let partition = (!aggregated).then_some(*partition);
                match links.iter_mut().find(|(t, p, n, _)| t == topic && *p == partition && n.client_id == node.client_id) {
                    Some(l) => l.3 += 1,
                    None => links.push((topic, partition, node, 1)),
                }
            }
        }
        for (topic, partition, node, count) in links {
            let Some(sy) = row_y(topic, partition) else { continue };
            let key = match partition {
                Some(p) => format!("share-edge-{}-{topic}-{p}-{}", g.group_id, node.client_id),
                None => format!("share-bundle-{}-{topic}-{}", g.group_id, node.client_id),
            };
            edges.push(Edge {
                key,
                group_id: g.group_id.clone(),
                topic: topic.to_string(),
                partition,
                owner: node.client_id.clone(),
                count,
                colour: gb.colour.clone(),
                path: curve(edge_x, sy, group_x + 6.0, node.y),
                end_y: node.y,
                faded: node.lifecycle != "running" && node.lifecycle != "more",
            });
        }
    }

    // Tokens on the line between a consumer's node (ending left of it) and its broker's lane.
    let client_pos = |m: &MessageView, w: f64| {
        groups.iter().find(|g| g.group_id == m.group_id).and_then(|g| {
            let more = g.nodes.last().filter(|n| n.lifecycle == "more");
            g.nodes.iter().find(|n| n.client_id == m.client_id).or(more).map(|n| (group_x - 4.0 - w / 2.0, n.y))
        })
    };
    let broker_pos = |end: &str| {
        let x = end.strip_prefix("broker ").and_then(|b| b.parse().ok()).map_or(label_x + LABEL_W / 2.0, broker_x);
        (x, TOKEN_LANE_Y)
    };
    let from_client = |m: &MessageView| m.from.starts_with("client ");
    let mut tokens = Vec::new();
    for m in view.messages.iter().take(MAX_TOKENS) {
        let (label, width) = token_label(m);
        let Some(c) = client_pos(m, width) else { continue };
        let b = broker_pos(if from_client(m) { &m.to } else { &m.from });
        let (a, z) = if from_client(m) { (c, b) } else { (b, c) };
        let span = m.deliver_at_ms.saturating_sub(m.sent_at_ms).max(1) as f64;
        let f = (view.now_ms.saturating_sub(m.sent_at_ms) as f64 / span).clamp(0.0, 1.0);
        tokens.push(Token { message: m.clone(), label, width, x: a.0 + (z.0 - a.0) * f, y: a.1 + (z.1 - a.1) * f, delivered: false });
    }
    // The newest delivery at each receiver stays a moment (older ones there would hide under it).
    let mut reached: Vec<String> = Vec::new();
    for m in recent.iter().rev() {
        if tokens.len() >= MAX_TOKENS {
            break;
        }
        if reached.contains(&m.to) {
            continue;
        }
        reached.push(m.to.clone());
        let (label, width) = token_label(m);
        let z = if from_client(m) { broker_pos(&m.to) } else if let Some(c) = client_pos(m, width) { c } else { continue };
        tokens.push(Token { message: m.clone(), label, width, x: z.0, y: z.1, delivered: true });
    }

    let height = rows_bottom.max(gy) + PAD;
    Picture { width: group_x + GROUP_W + PAD, height, aggregated, brokers, rows, groups, edges, tokens, edge_x, group_x }
}

/// The edge animation's length for a playback speed (simulated ms per real ms): a few hundred
/// ms of real time at 1×, longer in slow motion, none (a jump) at high speed.
pub fn edge_ms(speed: f64) -> u32 {
    if speed >= 8.0 {
        0
    } else {
        (400.0 / speed.max(0.1)).min(4_000.0) as u32
    }
}

/// How long (simulated ms) a delivered message stays drawn: about 300 ms of real time, at most
/// 400 simulated ms.
pub fn linger_ms(speed: f64) -> u64 {
    (300.0 * speed).clamp(20.0, 400.0) as u64
}

fn token_title(m: &MessageView) -> String {
    let mut t = format!(
        "{} {} · {} → {} · correlation id {} · sent {} ms · {} {} ms",
        m.api,
        if m.response { "response" } else { "request" },
        m.from,
        m.to,
        m.correlation_id,
        m.sent_at_ms,
        if m.deliver_at_ms > m.sent_at_ms { "due" } else { "at" },
        m.deliver_at_ms
    );
    if let Some(e) = &m.error {
        t.push_str(&format!(" · error {e}"));
    }
    t
}

/// A token's label (the API, and a reply's error) and its width.
fn token_label(m: &MessageView) -> (String, f64) {
    let label = match &m.error {
        Some(e) => format!("{} {e}", short(&m.api)),
        None => short(&m.api).to_string(),
    };
    let width = 8.0 + label.len() as f64 * 5.6;
    (label, width)
}

/// Short label of an API for a token (the full name is in its title).
fn short(api: &str) -> &str {
    match api {
        "FindCoordinator" => "FindCoord",
        "ConsumerGroupHeartbeat" => "CGHeartbeat",
        "ShareGroupHeartbeat" => "SGHeartbeat",
        "ShareAcknowledge" => "ShareAck",
        other => other,
    }
}

#[function_component(Topology)]
pub fn topology() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let (speed, recent) = {
        let lab = ctx.state.lab.borrow();
        let now = lab.now_ms();
        (lab.speed, lab.sim.message_history(None, now.saturating_sub(linger_ms(lab.speed)), now))
    };
    let pic = layout(&ctx.view, &recent);
    let now = ctx.view.now_ms;
    let select = |client: &str| {
        let (state, client) = (ctx.state.clone(), client.to_string());
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Select(Some(client.clone()))))
    };
    let selected = ctx.state.lab.borrow().selected.clone();
    html! {
        <section class="panel topology-panel" aria-labelledby="topology-title">
            <h2 id="topology-title">{ "Cluster picture" }
                <small>{ if pic.aggregated { "topics aggregated: edges bundled per consumer, with counts" } else { "each line: the consumer of a group that reads a partition (in a share group, every member assigned to it)" } }</small></h2>
            <div class="topology-scroll">
            <svg data-testid="topology" class="topology" role="img" aria-label="Brokers hosting partitions, and the consumers of each group reading them"
                width={format!("{:.0}", pic.width)} height={format!("{:.0}", pic.height)} viewBox={format!("0 0 {:.0} {:.0}", pic.width, pic.height)}
                style={format!("--edge-ms:{}ms", edge_ms(speed))} data-aggregated={pic.aggregated.to_string()}>
                // Broker columns.
                { for pic.brokers.iter().map(|b| {
                    let status = if !b.alive { "down" } else if b.fenced { "fenced" } else { "up" };
                    html! {
                        <g key={format!("b{}", b.id)} class={classes!("tb", status)} data-testid="topology-broker" data-broker={b.id.to_string()} data-status={status}>
                            <rect x={format!("{:.1}", b.x + 2.0)} y="4" width={format!("{:.1}", BROKER_W - 4.0)} height={format!("{:.1}", pic.height - 8.0)} rx="6" class="tb-col" />
                            <text x={format!("{:.1}", b.x + BROKER_W / 2.0)} y="18" class="tb-name">{ format!("b{}", b.id) }</text>
                            <text x={format!("{:.1}", b.x + BROKER_W / 2.0)} y="30" class="tb-status">{ status }</text>
                            if !b.coordinates.is_empty() {
                                <text x={format!("{:.1}", b.x + BROKER_W / 2.0)} y="41" class="tb-coord" data-testid="topology-coordinator" data-groups={b.coordinates.join(",")}>
                                    <title>{ format!("Group coordinator of {} (the leader of its __consumer_offsets partition)", b.coordinates.join(", ")) }</title>
                                    { format!("★{}", if b.coordinates.len() > 1 { b.coordinates.len().to_string() } else { String::new() }) }</text>
                            }
                        </g>
                    }
                }) }
                // Rows: replicas per broker, the partition's name.
                { for pic.rows.iter().map(|r| html! {
                    <g key={r.label.clone()} class={classes!("trow", r.offline.then_some("offline"))}>
                        if let Some(h) = &r.heading {
                            <text x={format!("{:.1}", pic.edge_x - LABEL_W)} y={format!("{:.1}", r.y - ROW_H / 2.0 - 4.0)} class="ttopic">{ h.clone() }</text>
                        }
                        { for r.cells.iter().map(|c| {
                            let x = pic.brokers.iter().find(|b| b.id == c.broker).map_or(0.0, |b| b.x);
                            let class = classes!("rep", c.leader.then_some("leader"), (!c.in_isr).then_some("out"), c.count.is_some().then_some("agg"));
                            let title = match c.count {
                                Some((n, l)) => format!("{}: {n} replicas on broker {}, {l} of them leaders", r.topic, c.broker),
                                None => format!("{} on broker {}: {}{}", r.label, c.broker, if c.leader { "leader" } else { "follower" }, if c.in_isr { ", in ISR" } else { ", NOT in ISR" }),
                            };
                            html! {
                                <g>
                                    // A count needs the column's width; a single replica is a small chip.
                                    <rect x={format!("{:.1}", x + if c.count.is_some() { 3.0 } else { 7.0 })} y={format!("{:.1}", r.y - 6.5)}
                                        width={format!("{:.1}", BROKER_W - if c.count.is_some() { 6.0 } else { 14.0 })} height="13" rx="3" class={class}><title>{ title }</title></rect>
                                    if let Some((n, l)) = c.count { <text x={format!("{:.1}", x + BROKER_W / 2.0)} y={format!("{:.1}", r.y + 3.5)} class="rep-count">{ format!("{n}/{l}") }</text> }
                                </g>
                            }
                        }) }
                        <text x={format!("{:.1}", pic.edge_x - 4.0)} y={format!("{:.1}", r.y + 4.0)} class="tlabel">{ r.label.clone() }</text>
                    </g>
                }) }
                // Ownership edges.
                { for pic.edges.iter().map(|e| {
                    let share = e.key.starts_with("share-");
                    let class = classes!("edge", e.faded.then_some("orphan"), share.then_some("share"));
                    let width = if e.count > 1 { 1.5 + (e.count as f64).log2() } else { 1.6 };
                    let title = match e.partition {
                        Some(p) if share && e.faded => format!("{}-{p} → {} (share group {}): assigned still, but the consumer is not running; its records stay locked to it until their lock expires", e.topic, e.owner, e.group_id),
                        Some(p) if share => format!("{}-{p} → {} (share group {}: every member assigned to a partition reads it)", e.topic, e.owner, e.group_id),
                        Some(p) if e.owner.is_empty() => format!("{}-{p}: no owner in {} (revoked; last read by this consumer)", e.topic, e.group_id),
                        Some(p) => format!("{}-{p} → {} ({})", e.topic, e.owner, e.group_id),
                        None => format!("{} partitions of {} → {} ({})", e.count, e.topic, e.owner, e.group_id),
                    };
                    html! {
                        <path key={e.key.clone()} data-testid={e.key.clone()} data-owner={e.owner.clone()} data-group={e.group_id.clone()} class={class}
                            d={e.path.clone()} style={format!("d:path('{}');stroke:{};stroke-width:{width:.1}", e.path, e.colour)}><title>{ title }</title></path>
                    }
                }) }
                // Bundle counts.
                { for pic.edges.iter().filter(|e| e.count > 1).map(|e| html! {
                    <text key={format!("n{}", e.key)} x={format!("{:.1}", pic.group_x - 6.0)} y={format!("{:.1}", e.end_y - 3.0)} class="bundle-count">{ e.count }</text>
                }) }
                // Groups and consumers.
                { for pic.groups.iter().map(|g| html! {
                    <g key={g.group_id.clone()} class={classes!("tgroup", g.share.then_some("share"))} data-testid="topology-group" data-group={g.group_id.clone()} data-state={g.state.clone()}
                        data-kind={if g.share { "share" } else { "consumer" }} style={format!("--gc:{}", g.colour)}>
                        <rect x={format!("{:.1}", pic.group_x)} y={format!("{:.1}", g.y)} width={format!("{GROUP_W:.1}")} height={format!("{:.1}", g.h)} rx="8" class="tg-box" />
                        <text x={format!("{:.1}", pic.group_x + 8.0)} y={format!("{:.1}", g.y + 15.0)} class="tg-name">{ format!("{}{} · {} · {}", g.group_id, if g.share { " (share group)" } else { "" }, g.state, g.epoch) }</text>
                        { for g.nodes.iter().map(|n| {
                            let idle = n.lifecycle == "running" && n.partitions == 0;
                            let class = classes!("tnode", n.lifecycle.clone(), idle.then_some("idle"), (selected.as_deref() == Some(n.client_id.as_str())).then_some("selected"));
                            let x = pic.group_x + 6.0;
                            let w = GROUP_W - 12.0;
                            let mut status = if idle { "idle".to_string() } else if n.lifecycle == "more" { format!("{} partitions", n.partitions) } else if n.lifecycle == "running" { format!("{} partition{}", n.partitions, if n.partitions == 1 { "" } else { "s" }) } else { n.lifecycle.clone() };
                            if let Some((epoch, state)) = &n.epoch {
                                let short = match state.as_str() { "UNREVOKED_PARTITIONS" => " revoking", "UNRELEASED_PARTITIONS" => " waiting", _ => "" };
                                status = format!("e{epoch}{short} · {status}");
                            }
                            // A share consumer: what it holds (its partitions are its edges).
                            if let Some(held) = n.held.filter(|_| n.lifecycle == "running" || n.lifecycle == "more") {
                                status = format!("{}holds {held}", n.epoch.as_ref().map_or(String::new(), |(e, _)| format!("e{e} · ")));
                            }
                            let session = n.session_left_ms.filter(|_| n.lifecycle == "crashed" || n.lifecycle == "stalled");
                            let title = match session {
                                Some(left) => format!("{}: {} — the coordinator still counts it a member for {:.1} s more (session.timeout.ms {})", n.client_id, n.lifecycle, left as f64 / 1000.0, n.session_timeout_ms),
                                None if idle && g.share => format!("{}: no partition assigned yet", n.client_id),
                                None if idle => format!("{}: idle — a group has at most one consumer per partition; this one has none", n.client_id),
                                None => format!("{}: {status}", n.client_id),
                            };
                            let on_click = (n.lifecycle != "more").then(|| select(&n.client_id));
                            html! {
                                <g key={n.client_id.clone()} {class} data-testid="topology-consumer" data-client-id={n.client_id.clone()} data-status={if idle { "idle".to_string() } else { n.lifecycle.clone() }} onclick={on_click}>
                                    <title>{ title }</title>
                                    <rect x={format!("{x:.1}")} y={format!("{:.1}", n.y - NODE_H / 2.0)} width={format!("{w:.1}")} height={format!("{NODE_H:.1}")} rx="5" class="tn-box" />
                                    <text x={format!("{:.1}", x + 6.0)} y={format!("{:.1}", n.y + 4.0)} class="tn-name">{ format!("{}{}", if n.leader { "★ " } else { "" }, n.client_id) }</text>
                                    <text x={format!("{:.1}", x + w - 6.0)} y={format!("{:.1}", n.y + 4.0)} class="tn-status">{ status }</text>
                                    if let Some(left) = session {
                                        <rect x={format!("{x:.1}")} y={format!("{:.1}", n.y + NODE_H / 2.0 - 3.0)} height="3"
                                            width={format!("{:.1}", w * (left as f64 / n.session_timeout_ms.max(1) as f64).min(1.0))} class="tn-session" data-testid="session-left" data-ms={left.to_string()} />
                                    }
                                </g>
                            }
                        }) }
                    </g>
                }) }
                // Messages.
                { for pic.tokens.iter().map(|t| {
                    let m = &t.message;
                    let (label, w) = (t.label.clone(), t.width);
                    let class = classes!("token", m.response.then_some("response"), m.error.is_some().then_some("error"), t.delivered.then_some("delivered"));
                    html! {
                        <g class={class} data-testid={if t.delivered { "message-recent" } else { "message" }} data-kind={m.api.clone()} data-response={m.response.to_string()}
                            data-error={m.error.clone().unwrap_or_default()} transform={format!("translate({:.1} {:.1})", t.x - w / 2.0, t.y - 7.0)}>
                            <title>{ token_title(m) }</title>
                            <rect width={format!("{w:.1}")} height="14" rx="7" />
                            <text x={format!("{:.1}", w / 2.0)} y="10.5">{ label }</text>
                        </g>
                    }
                }) }
            </svg>
            </div>
            <p class="legend muted small">
                <span class="rchip leader">{ "leader" }</span>{ " " }<span class="rchip">{ "follower" }</span>{ " " }<span class="rchip out">{ "out of ISR" }</span>
                { " · ★ group coordinator · faded line: partition revoked, no owner yet (share group: its consumer is not running) · " }
                <span class="token-key">{ "request" }</span>{ " " }<span class="token-key response">{ "response" }</span>
                { format!(" · now {now} ms") }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    #[test]
    fn every_owned_partition_has_one_edge_to_its_owner_per_group() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        let view = lab.view();
        let pic = layout(&view, &[]);
        assert!(!pic.aggregated);
        let g = &view.groups[0];
        for l in &g.lag {
            let key = format!("edge-{}-{}-{}", g.group_id, l.topic, l.partition);
            let e: Vec<_> = pic.edges.iter().filter(|e| e.key == key).collect();
            match &l.owner {
                Some(o) => assert!(e.len() == 1 && &e[0].owner == o, "{key}: {e:?}"),
                None => assert!(e.iter().all(|e| e.owner.is_empty())),
            }
        }
        assert!(pic.edges.iter().any(|e| !e.owner.is_empty()), "the consumer owns partitions");
        let rows = view.topics.iter().filter(|t| !t.internal).map(|t| t.partitions.len()).sum::<usize>();
        assert_eq!(pic.rows.len(), rows);
        assert!(pic.rows.iter().all(|r| r.cells.iter().filter(|c| c.leader).count() <= 1));
    }

    #[test]
    fn big_topics_aggregate_into_bundles_with_counts() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(grouplab_engine::Command::CreateTopic { name: "big".into(), partitions: 200, replication_factor: 1, config: Default::default() }).unwrap_or_else(|e| panic!("{e}"));
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(10_000);
        let view = lab.view();
        let pic = layout(&view, &[]);
        assert!(pic.aggregated);
        assert_eq!(pic.rows.len(), view.topics.iter().filter(|t| !t.internal).count());
        let g = &view.groups[0];
        let owned = g.lag.iter().filter(|l| l.owner.is_some()).count();
        assert_eq!(pic.edges.iter().map(|e| e.count).sum::<usize>(), owned, "bundles count every owned partition once");
    }

    /// A lab with a share group `work` reading `topic` with `consumers` consumers, run 8 s.
    fn share_lab(topic: &str, partitions: u32, consumers: usize) -> Lab {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::create_topic(topic, partitions, 1)).unwrap();
        lab.apply(crate::actions::add_producer(topic, 20, 0, Default::default())).unwrap();
        lab.apply(crate::actions::create_share_group("work", topic, Default::default())).unwrap();
        for _ in 0..consumers {
            lab.apply(crate::actions::add_consumer("work")).unwrap();
        }
        lab.advance_by(8_000);
        lab
    }

    #[test]
    fn a_share_partition_has_an_edge_to_every_member_assigned_to_it() {
        let mut lab = share_lab("jobs", 1, 3);
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        lab.advance_by(8_000);
        let view = lab.view();
        let pic = layout(&view, &[]);
        let g = &view.share_groups[0];
        let share_box = pic.groups.iter().find(|b| b.group_id == "work").unwrap();
        assert!(share_box.share && share_box.nodes.len() == 3);
        assert_eq!(pic.groups.iter().filter(|b| !b.share).count(), view.groups.len(), "consumer groups keep their boxes");
        assert!(pic.groups.windows(2).all(|w| w[0].y + w[0].h < w[1].y), "boxes do not overlap");
        let edges: Vec<&Edge> = pic.edges.iter().filter(|e| e.group_id == "work").collect();
        let mut owners: Vec<&str> = edges.iter().map(|e| e.owner.as_str()).collect();
        owners.sort();
        let mut members: Vec<&str> = g.members.iter().map(|m| m.client_id.as_str()).collect();
        members.sort();
        assert_eq!(owners, members, "one edge per member");
        assert_eq!(members.len(), 3);
        let row = pic.rows.iter().find(|r| r.topic == "jobs").unwrap();
        for e in &edges {
            assert_eq!(e.key, format!("share-edge-work-jobs-0-{}", e.owner));
            assert!(e.path.starts_with(&format!("M{:.1} {:.1}", pic.edge_x, row.y)), "from the partition's row: {}", e.path);
            let node = share_box.nodes.iter().find(|n| n.client_id == e.owner).unwrap();
            assert_eq!(e.end_y, node.y, "to the member's node");
            assert!(!e.faded);
        }
        assert!(pic.brokers.iter().any(|b| b.coordinates.contains(&"work".to_string())), "the share group's coordinator is starred");
        // The consumer group's edges are still one per partition.
        assert!(pic.edges.iter().filter(|e| e.group_id == "my-group").all(|e| e.key.starts_with("edge-my-group-orders-")));

        // A crashed consumer stays a member until its session expires: its edge is faded.
        let victim = g.consumers[1].client_id.clone();
        lab.apply(crate::actions::crash_consumer(&victim)).unwrap();
        lab.advance_by(1_000);
        let pic = layout(&lab.view(), &[]);
        let e = pic.edges.iter().find(|e| e.key == format!("share-edge-work-jobs-0-{victim}")).expect("still assigned");
        assert!(e.faded);
        lab.advance_by(50_000);
        let pic = layout(&lab.view(), &[]);
        assert!(pic.edges.iter().all(|e| e.owner != victim), "fenced after share.session.timeout.ms: no edge");
        assert_eq!(pic.edges.iter().filter(|e| e.group_id == "work").count(), 2);
    }

    #[test]
    fn big_topics_bundle_a_share_groups_edges_too() {
        let lab = share_lab("big", 200, 2);
        let view = lab.view();
        let pic = layout(&view, &[]);
        assert!(pic.aggregated);
        let bundles: Vec<&Edge> = pic.edges.iter().filter(|e| e.group_id == "work").collect();
        assert_eq!(bundles.len(), 2, "one bundle per consumer");
        for m in &view.share_groups[0].members {
            let b = bundles.iter().find(|e| e.owner == m.client_id).unwrap();
            assert_eq!((b.key.clone(), b.partition, b.count), (format!("share-bundle-work-big-{}", m.client_id), None, m.assigned.len()));
        }
        // (Kafka's simple assignor splits many partitions among few members.)
        assert_eq!(bundles.iter().map(|e| e.count).sum::<usize>(), 200);
    }

    #[test]
    fn speed_sets_the_edge_animation() {
        assert_eq!(edge_ms(10.0), 0, "high speed jumps");
        assert_eq!(edge_ms(1.0), 400);
        assert_eq!(edge_ms(0.1), 4_000);
        assert!(linger_ms(0.1) >= 20 && linger_ms(100.0) == 400);
    }
}
