//! Forms that create things: topic, producer, group, share group. Each checks its fields (Kafka's rules via
//! the engine, e.g. `topic::validate_topic_name`), then applies the command: the engine's apply
//! is atomic, so a rejection changes nothing and is shown next to the field it concerns.

use super::{input_value, option, select_value, set, ViewContext};
use crate::actions;
use crate::state::LabContext;
use grouplab_engine::api::command::Acks;
use grouplab_engine::group::client::{AutoOffsetReset, CommitMode};
use grouplab_engine::group::share::settings::{AcknowledgementMode, OnFailure, ShareGroupSettings, ShareOffsetReset};
use grouplab_engine::group::GroupConfig;
use grouplab_engine::kafka::topic::validate_topic_name;
use grouplab_engine::{Command, SimError};
use yew::prelude::*;

/// Field errors of a form, keyed by field id; `""` is the form-level error.
///
/// A few entries kept sorted by field id in a `Vec` (a `BTreeMap<&str, String>` would be the
/// only map of that type in the wasm, ~8 KB of code).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Errors(Vec<(&'static str, String)>);

impl Errors {
    /// No errors.
    pub fn new() -> Errors {
        Errors::default()
    }

    fn find(&self, field: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (*k).cmp(field))
    }

    /// Sets the error of `field`, returning the previous one.
    pub fn insert(&mut self, field: &'static str, message: String) -> Option<String> {
        match self.find(field) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, message)),
            Err(i) => {
                self.0.insert(i, (field, message));
                None
            }
        }
    }

    /// Clears the error of `field`, returning it.
    pub fn remove(&mut self, field: &str) -> Option<String> {
        self.find(field).ok().map(|i| self.0.remove(i).1)
    }

    /// The error of `field`.
    pub fn get(&self, field: &str) -> Option<&String> {
        self.find(field).ok().map(|i| &self.0[i].1)
    }

    /// No field has an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses a whole number in `min..=max`, with a message naming the field.
pub fn parse_number<T: std::str::FromStr + Into<u64> + Copy>(label: &str, text: &str, min: u64, max: u64) -> Result<T, String> {
    match text.trim().parse::<T>() {
        Ok(v) if (min..=max).contains(&v.into()) => Ok(v),
        _ => Err(format!("{label} must be a whole number from {min} to {max}")),
    }
}

/// Which field of the create-topic form an engine error concerns.
pub fn topic_error_field(e: &SimError) -> &'static str {
    match e {
        SimError::InvalidTopic(_) | SimError::TopicAlreadyExists(_) => "topic-name",
        SimError::InvalidPartitions(_) | SimError::LimitExceeded(_) => "topic-partitions",
        SimError::InvalidReplicationFactor(_) => "topic-rf",
        _ => "",
    }
}

/// A labelled input with its error message right next to it (`kind`: the input's `type`;
/// `title`: the label's tooltip, `""` for none).
pub fn field(id: &'static str, label: &'static str, kind: &'static str, title: &'static str, value: &str, errors: &Errors, oninput: Callback<String>) -> Html {
    let error = errors.get(id).cloned();
    let err_id = format!("{id}-error");
    html! {
        <div class={if error.is_some() { "field invalid" } else { "field" }}>
            <label for={id} {title}>{ label }</label>
            <input {id} type={kind} value={value.to_string()} oninput={input_value(oninput)}
                aria-invalid={if error.is_some() { "true" } else { "false" }} aria-describedby={error.as_ref().map(|_| err_id.clone())} />
            if let Some(e) = error {
                <span class="field-error" id={err_id.clone()} data-testid={err_id} role="alert">{ e }</span>
            }
        </div>
    }
}

/// A labelled select (`options`: [`option`]s; `title`: the label's tooltip, `""` for none).
pub fn select_field(id: &'static str, label: &'static str, title: &'static str, onchange: Callback<String>, options: Html) -> Html {
    html! {
        <div class="field">
            <label for={id} {title}>{ label }</label>
            <select {id} onchange={select_value(onchange)}>{ options }</select>
        </div>
    }
}

/// The `<option>`s of `choices` (value, text), the one whose value is `value` selected.
pub fn options(choices: &[(&str, &str)], value: &str) -> Html {
    choices.iter().map(|(v, t)| option(v, t, *v == value)).collect()
}

/// Applies `command` (atomic: a rejected one changes nothing) and returns true, or records the
/// error under the field `field_of` names.
fn try_apply(state: &LabContext, command: Command, errors: &UseStateHandle<Errors>, field_of: fn(&SimError) -> &'static str) -> bool {
    match crate::state::apply_command(state, command) {
        Ok(()) => {
            errors.set(Errors::new());
            true
        }
        Err(e) => {
            let mut map = Errors::new();
            map.insert(field_of(&e), e.to_string());
            errors.set(map);
            false
        }
    }
}

/// A disclosure button opening a small panel (keyboard-accessible by nature).
pub fn menu(label: &'static str, testid: &'static str, body: Html) -> Html {
    html! {
        <details class="menu" data-testid={testid}>
            <summary>{ label }</summary>
            <div class="menu-body">{ body }</div>
        </details>
    }
}

/// `CreateTopics`: name (Kafka's rules, checked as you type), partitions, replication factor.
#[function_component(CreateTopicForm)]
pub fn create_topic_form() -> Html {
    let state = use_context::<ViewContext>().expect("view context").state;
    let name = use_state(String::new);
    let partitions = use_state(|| "3".to_string());
    let rf = use_state(|| "3".to_string());
    let errors = use_state(Errors::new);
    let on_name = {
        let (name, errors) = (name.clone(), errors.clone());
        Callback::from(move |v: String| {
            let mut map = (*errors).clone();
            match validate_topic_name(&v) {
                Err(e) if !v.is_empty() => map.insert("topic-name", e.to_string()),
                _ => map.remove("topic-name"),
            };
            errors.set(map);
            name.set(v);
        })
    };
    let onsubmit = {
        let (state, name, partitions, rf, errors) = (state.clone(), name.clone(), partitions.clone(), rf.clone(), errors.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut map = Errors::new();
            if let Err(err) = validate_topic_name(&name) {
                map.insert("topic-name", err.to_string());
            }
            let p = parse_number::<u32>("partitions", &partitions, 1, 10_000).map_err(|m| map.insert("topic-partitions", m)).ok();
            let r = parse_number::<u16>("replication factor", &rf, 1, 100).map_err(|m| map.insert("topic-rf", m)).ok();
            if !map.is_empty() {
                errors.set(map);
                return;
            }
            if let (Some(p), Some(r)) = (p, r) {
                if try_apply(&state, actions::create_topic(&name, p, r), &errors, topic_error_field) {
                    name.set(String::new());
                }
            }
        })
    };
    let body = html! {
        <form class="form" aria-label="Create topic" {onsubmit} data-testid="create-topic">
            { field("topic-name", "Name", "text", "Letters, digits, '.', '_' and '-'; at most 249 characters", &name, &errors, on_name) }
            { field("topic-partitions", "Partitions", "number", "", &partitions, &errors, set(&partitions)) }
            { field("topic-rf", "Replication factor", "number", "How many brokers hold a copy of each partition (≤ live brokers)", &rf, &errors, set(&rf)) }
            if let Some(e) = errors.get("") { <p class="field-error" role="alert">{ e.clone() }</p> }
            <button class="primary" type="submit">{ "Create topic" }</button>
        </form>
    };
    menu("+ Topic", "menu-topic", body)
}

/// Names of the topics that are not internal.
fn user_topics(view: &grouplab_engine::View) -> Vec<String> {
    view.topics.iter().filter(|t| !t.internal).map(|t| t.name.clone()).collect()
}

/// One `<option>` per topic, `chosen` selected.
fn topic_options(topics: &[String], chosen: &str) -> Html {
    topics.iter().map(|t| option(t, t, t == chosen)).collect()
}

/// `AddProducer`: topic, rate, number of distinct keys, acks.
#[function_component(AddProducerForm)]
pub fn add_producer_form() -> Html {
    let view = use_context::<ViewContext>().expect("view context");
    let state = view.state.clone();
    let topics = user_topics(&view.view);
    let topic = use_state(String::new);
    let rate = use_state(|| "10".to_string());
    let keys = use_state(|| "10".to_string());
    let acks = use_state(|| "all".to_string());
    let errors = use_state(Errors::new);
    let chosen = if topic.is_empty() { topics.first().cloned().unwrap_or_default() } else { (*topic).clone() };
    let onsubmit = {
        let (state, rate, keys, acks, errors, chosen) = (state.clone(), rate.clone(), keys.clone(), acks.clone(), errors.clone(), chosen.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut map = Errors::new();
            let r = parse_number::<u32>("rate", &rate, 1, 100_000).map_err(|m| map.insert("producer-rate", m)).ok();
            let k = parse_number::<u32>("keys", &keys, 0, 100_000).map_err(|m| map.insert("producer-keys", m)).ok();
            if chosen.is_empty() {
                map.insert("", "create a topic first".to_string());
            }
            if !map.is_empty() {
                errors.set(map);
                return;
            }
            let a = match acks.as_str() {
                "0" => Acks::Zero,
                "1" => Acks::One,
                _ => Acks::All,
            };
            if let (Some(r), Some(k)) = (r, k) {
                try_apply(&state, actions::add_producer(&chosen, r, k, a), &errors, |_| "");
            }
        })
    };
    let body = html! {
        <form class="form" aria-label="Add producer" {onsubmit} data-testid="add-producer">
            { select_field("producer-topic", "Topic", "", set(&topic), topic_options(&topics, &chosen)) }
            { field("producer-rate", "Records per second", "number", "", &rate, &errors, set(&rate)) }
            { field("producer-keys", "Distinct keys (0 = null keys)", "number", "Keyed records go to partition murmur2(key) % partitions; null keys use the sticky partitioner", &keys, &errors, set(&keys)) }
            { select_field("producer-acks", "acks", "", set(&acks), options(&[("all", "all"), ("1", "1"), ("0", "0")], &acks)) }
            if let Some(e) = errors.get("") { <p class="field-error" role="alert" data-testid="producer-error">{ e.clone() }</p> }
            <button class="primary" type="submit">{ "Start producer" }</button>
        </form>
    };
    menu("+ Producer", "menu-producer", body)
}

/// Values of the strategy select: Kafka's default list first, then each assignor alone.
pub const STRATEGY_CHOICES: [(&str, &str); 5] = [
    ("range, cooperative-sticky", "range, cooperative-sticky (Kafka default: eager range)"),
    ("range", "range (eager)"),
    ("roundrobin", "roundrobin (eager)"),
    ("sticky", "sticky (eager)"),
    ("cooperative-sticky", "cooperative-sticky (cooperative)"),
];

/// Values of the commit-mode select (`CommitMode`'s serde names).
pub const COMMIT_CHOICES: [(&str, &str); 3] = [
    ("auto", "auto (enable.auto.commit=true)"),
    ("manual_after", "commit after processing (at least once)"),
    ("manual_before", "commit before processing (at most once)"),
];

/// Values of the `auto.offset.reset` select.
pub const RESET_CHOICES: [(&str, &str); 3] = [("latest", "latest"), ("earliest", "earliest"), ("none", "none")];

/// The commit mode a value of [`COMMIT_CHOICES`] names.
pub fn commit_mode(value: &str) -> CommitMode {
    match value {
        "manual_after" => CommitMode::ManualAfter,
        "manual_before" => CommitMode::ManualBefore,
        _ => CommitMode::Auto,
    }
}

/// The `auto.offset.reset` a value of [`RESET_CHOICES`] names.
pub fn auto_offset_reset(value: &str) -> AutoOffsetReset {
    match value {
        "earliest" => AutoOffsetReset::Earliest,
        "none" => AutoOffsetReset::None,
        _ => AutoOffsetReset::Latest,
    }
}

/// Checks the timing fields of the group form the way the broker and client would:
/// `group.min.session.timeout.ms` (6000) ≤ session timeout ≤ `group.max.session.timeout.ms`
/// (1800000), heartbeat interval below the session timeout.
pub fn check_group_timing(session: &str, heartbeat: &str, max_poll: &str, processing: &str, errors: &mut Errors) -> Option<(u64, u64, u64, u64)> {
    let s = parse_number::<u32>("session.timeout.ms", session, 6_000, 1_800_000).map_err(|m| errors.insert("group-session", m)).ok();
    let h = parse_number::<u32>("heartbeat.interval.ms", heartbeat, 1, 1_800_000).map_err(|m| errors.insert("group-heartbeat", m)).ok();
    let p = parse_number::<u32>("max.poll.interval.ms", max_poll, 1, 86_400_000).map_err(|m| errors.insert("group-max-poll", m)).ok();
    let t = parse_number::<u32>("processing time per record (ms)", processing, 0, 600_000).map_err(|m| errors.insert("group-processing", m)).ok();
    if let (Some(s), Some(h)) = (s, h) {
        if h >= s {
            errors.insert("group-heartbeat", "heartbeat.interval.ms must be lower than session.timeout.ms".to_string());
            return None;
        }
    }
    Some((u64::from(s?), u64::from(h?), u64::from(p?), u64::from(t?)))
}

/// `group.protocol`: the classic protocol or KIP-848's consumer protocol.
pub const PROTOCOL_CHOICES: [(&str, &str); 2] = [("classic", "classic (JoinGroup / SyncGroup)"), ("consumer", "consumer (KIP-848 ConsumerGroupHeartbeat)")];

/// `group.remote.assignor` of consumer-protocol members (the broker's `group.consumer.assignors`).
pub const REMOTE_ASSIGNOR_CHOICES: [(&str, &str); 2] = [("uniform", "uniform (server, balanced + sticky)"), ("range", "range (server)")];

/// Dynamic members, or static ones whose `group.instance.id` is their client id.
pub const MEMBERSHIP_CHOICES: [(&str, &str); 2] = [("dynamic", "none (dynamic members)"), ("static", "each consumer's client.id (static)")];

/// `CreateGroup`: group id, subscribed topic and the consumers' config (strategy — eager or
/// cooperative —, commit mode, `auto.offset.reset`, timeouts).
#[function_component(AddGroupForm)]
pub fn add_group_form() -> Html {
    let view = use_context::<ViewContext>().expect("view context");
    let state = view.state.clone();
    let topics = user_topics(&view.view);
    let group_id = use_state(String::new);
    let topic = use_state(String::new);
    let strategy = use_state(|| STRATEGY_CHOICES[0].0.to_string());
    let commit = use_state(|| "auto".to_string());
    let reset = use_state(|| "latest".to_string());
    let session = use_state(|| "45000".to_string());
    let heartbeat = use_state(|| "3000".to_string());
    let max_poll = use_state(|| "300000".to_string());
    let processing = use_state(|| "1".to_string());
    let membership = use_state(|| "dynamic".to_string());
    let protocol = use_state(|| "classic".to_string());
    let remote = use_state(|| "uniform".to_string());
    let errors = use_state(Errors::new);
    let chosen = if topic.is_empty() { topics.first().cloned().unwrap_or_default() } else { (*topic).clone() };
    let existing: Vec<String> = view.view.groups.iter().map(|g| g.group_id.clone()).collect();
    let onsubmit = {
        let (state, group_id, errors, chosen) = (state.clone(), group_id.clone(), errors.clone(), chosen.clone());
        let (strategy, commit, reset, session, heartbeat, max_poll, processing, membership) =
            (strategy.clone(), commit.clone(), reset.clone(), session.clone(), heartbeat.clone(), max_poll.clone(), processing.clone(), membership.clone());
        let (protocol, remote) = (protocol.clone(), remote.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut map = Errors::new();
            let id = group_id.trim().to_string();
            if id.is_empty() {
                map.insert("group-id", "INVALID_GROUP_ID: the group.id must not be empty".to_string());
            } else if existing.contains(&id) {
                map.insert("group-id", format!("group '{id}' already exists"));
            }
            if chosen.is_empty() {
                map.insert("", "create a topic first".to_string());
            }
            let timing = check_group_timing(&session, &heartbeat, &max_poll, &processing, &mut map);
            if !map.is_empty() {
                errors.set(map);
                return;
            }
            let Some((s, h, p, t)) = timing else { return };
            let mut config = GroupConfig {
                assignment_strategies: actions::split_strategies(&strategy),
                session_timeout_ms: s,
                heartbeat_interval_ms: h,
                max_poll_interval_ms: p,
                processing_time_ms: t,
                commit_mode: commit_mode(&commit),
                auto_offset_reset: auto_offset_reset(&reset),
                group_instance_id: (*membership == "static").then(|| "auto".to_string()),
                ..GroupConfig::default()
            };
            if *protocol == "consumer" {
                // The broker decides the classic timing under KIP-848 (the client refuses it).
                config = config.with_protocol(grouplab_engine::group::client::GroupProtocol::Consumer);
                config.group_remote_assignor = Some((*remote).clone());
            }
            if try_apply(&state, actions::create_group(&id, &chosen, config), &errors, |_| "group-id") {
                group_id.set(String::new());
            }
        })
    };
    let body = html! {
        <form class="form two" aria-label="Add consumer group" {onsubmit} data-testid="add-group">
            { field("group-id", "group.id", "text", "", &group_id, &errors, set(&group_id)) }
            { select_field("group-topic", "Subscribed topic", "", set(&topic), topic_options(&topics, &chosen)) }
            { select_field("group-protocol", "group.protocol", "classic: the JoinGroup/SyncGroup barrier, assignment by the group leader; consumer (KIP-848): one heartbeat RPC, assignment by the coordinator, members reconcile one by one",
                set(&protocol), options(&PROTOCOL_CHOICES, &protocol)) }
            if *protocol == "consumer" {
                { select_field("group-remote-assignor", "group.remote.assignor", "The server-side assignor the coordinator runs (uniform or range)",
                    set(&remote), options(&REMOTE_ASSIGNOR_CHOICES, &remote)) }
            } else {
                { select_field("group-strategy", "partition.assignment.strategy", "Eager assignors revoke everything at each rebalance; cooperative-sticky revokes only what moves",
                    set(&strategy), options(&STRATEGY_CHOICES, &strategy)) }
            }
            { select_field("group-commit", "Commit mode", "", set(&commit), options(&COMMIT_CHOICES, &commit)) }
            { select_field("group-reset", "auto.offset.reset", "", set(&reset), options(&RESET_CHOICES, &reset)) }
            { select_field("group-membership", "group.instance.id", "Static members (KIP-345) take their place back after a restart within session.timeout.ms, without a rebalance",
                set(&membership), options(&MEMBERSHIP_CHOICES, &membership)) }
            if *protocol == "classic" {
                { field("group-session", "session.timeout.ms", "number", "", &session, &errors, set(&session)) }
                { field("group-heartbeat", "heartbeat.interval.ms", "number", "", &heartbeat, &errors, set(&heartbeat)) }
            } else {
                <p class="muted small">{ "session and heartbeat timing come from the broker: group.consumer.session.timeout.ms (45000), group.consumer.heartbeat.interval.ms (5000)" }</p>
            }
            { field("group-max-poll", "max.poll.interval.ms", "number", "", &max_poll, &errors, set(&max_poll)) }
            { field("group-processing", "Processing ms per record", "number", "", &processing, &errors, set(&processing)) }
            if let Some(e) = errors.get("") { <p class="field-error" role="alert">{ e.clone() }</p> }
            <button class="primary" type="submit">{ "Create group" }</button>
        </form>
    };
    menu("+ Group", "menu-group", body)
}

/// Values of the `share.acknowledgement.mode` select.
pub const ACK_MODE_CHOICES: [(&str, &str); 2] = [("implicit", "implicit (the next poll accepts)"), ("explicit", "explicit (acknowledge each record)")];

/// What the application does with a failing record in explicit mode.
pub const ON_FAILURE_CHOICES: [(&str, &str); 2] = [("release", "RELEASE (delivered again)"), ("reject", "REJECT (archived)")];

/// Which field of the share-group form an engine error concerns (the config its message names).
pub fn share_error_field(e: &SimError) -> &'static str {
    let m = e.to_string();
    const FIELDS: [(&str, &str); 6] = [
        ("share.record.lock.duration.ms", "share-lock"),
        ("share.delivery.count.limit", "share-limit"),
        ("share.auto.offset.reset", "share-reset"),
        ("max.poll.records", "share-max-poll"),
        ("processing_time_ms", "share-processing"),
        ("failing_keys", "share-failing-keys"),
    ];
    match e {
        SimError::InvalidConfig(_) => FIELDS.iter().find(|(name, _)| m.contains(name)).map_or("", |(_, f)| f),
        SimError::InvalidRequest(_) | SimError::LimitExceeded(_) => "share-group-id",
        _ => "",
    }
}

/// The share group's settings from the form's text (numbers checked here, Kafka's bounds by the
/// engine); a lock duration or delivery limit equal to the broker's default is left unset, as
/// Kafka's group config would be.
pub fn share_settings(fields: &ShareFields, broker: (u64, u16), errors: &mut Errors) -> Option<ShareGroupSettings> {
    let lock = parse_number::<u32>("share.record.lock.duration.ms", &fields.lock, 0, u32::MAX.into()).map_err(|m| errors.insert("share-lock", m)).ok();
    let limit = parse_number::<u16>("share.delivery.count.limit", &fields.limit, 0, u16::MAX.into()).map_err(|m| errors.insert("share-limit", m)).ok();
    let max_poll = parse_number::<u32>("max.poll.records", &fields.max_poll, 0, u32::MAX.into()).map_err(|m| errors.insert("share-max-poll", m)).ok();
    let processing = parse_number::<u32>("processing time per record (ms)", &fields.processing, 0, u32::MAX.into()).map_err(|m| errors.insert("share-processing", m)).ok();
    let reset = match fields.reset.trim() {
        "latest" => ShareOffsetReset::Latest,
        "earliest" => ShareOffsetReset::Earliest,
        other => ShareOffsetReset::ByDuration(other.to_string()),
    };
    let explicit = fields.mode == "explicit";
    let (lock, limit) = (u64::from(lock?), limit?);
    Some(ShareGroupSettings {
        auto_offset_reset: reset,
        record_lock_duration_ms: (lock != broker.0).then_some(lock),
        delivery_count_limit: (limit != broker.1).then_some(limit),
        acknowledgement_mode: if explicit { AcknowledgementMode::Explicit } else { AcknowledgementMode::Implicit },
        max_poll_records: max_poll?,
        processing_time_ms: processing?.into(),
        failing_keys: if explicit { actions::split_list(&fields.failing_keys) } else { Vec::new() },
        on_failure: if fields.on_failure == "reject" { OnFailure::Reject } else { OnFailure::Release },
        ..ShareGroupSettings::default()
    })
}

/// The text of the share-group form's setting fields.
#[derive(Clone, Debug, PartialEq)]
pub struct ShareFields {
    pub reset: String,
    pub lock: String,
    pub limit: String,
    pub mode: String,
    pub max_poll: String,
    pub processing: String,
    pub failing_keys: String,
    pub on_failure: String,
}

impl Default for ShareFields {
    fn default() -> Self {
        ShareFields {
            reset: "latest".into(),
            lock: "30000".into(),
            limit: "5".into(),
            mode: "implicit".into(),
            max_poll: "500".into(),
            processing: "1".into(),
            failing_keys: String::new(),
            on_failure: "release".into(),
        }
    }
}

/// `CreateShareGroup` (KIP-932): group id, topic and the group's main settings with Kafka's
/// names and defaults; failing keys and what to do with them in explicit mode.
#[function_component(AddShareGroupForm)]
pub fn add_share_group_form() -> Html {
    let view = use_context::<ViewContext>().expect("view context");
    let state = view.state.clone();
    let topics = user_topics(&view.view);
    let group_id = use_state(String::new);
    let topic = use_state(String::new);
    let fields = use_state(ShareFields::default);
    let errors = use_state(Errors::new);
    let chosen = if topic.is_empty() { topics.first().cloned().unwrap_or_default() } else { (*topic).clone() };
    let existing: Vec<String> = view.view.groups.iter().map(|g| g.group_id.clone()).chain(view.view.share_groups.iter().map(|g| g.group_id.clone())).collect();
    // One setter per field of `fields`.
    let edit = |pick: fn(&mut ShareFields) -> &mut String| {
        let fields = fields.clone();
        Callback::from(move |v: String| {
            let mut f = (*fields).clone();
            *pick(&mut f) = v;
            fields.set(f);
        })
    };
    let onsubmit = {
        let (state, group_id, errors, chosen, fields) = (state.clone(), group_id.clone(), errors.clone(), chosen.clone(), fields.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut map = Errors::new();
            let id = group_id.trim().to_string();
            if id.is_empty() {
                map.insert("share-group-id", "INVALID_GROUP_ID: the group.id must not be empty".to_string());
            } else if existing.contains(&id) {
                map.insert("share-group-id", format!("group '{id}' already exists"));
            }
            if chosen.is_empty() {
                map.insert("", "create a topic first".to_string());
            }
            let broker = {
                let lab = state.lab.borrow();
                let c = lab.sim.config();
                (c.group_share_record_lock_duration_ms, c.group_share_delivery_count_limit)
            };
            let settings = share_settings(&fields, broker, &mut map);
            if !map.is_empty() {
                errors.set(map);
                return;
            }
            let Some(settings) = settings else { return };
            if try_apply(&state, actions::create_share_group(&id, &chosen, settings), &errors, share_error_field) {
                group_id.set(String::new());
            }
        })
    };
    let f = &*fields;
    let body = html! {
        <form class="form two" aria-label="Add share group" {onsubmit} data-testid="add-share-group">
            { field("share-group-id", "group.id", "text", "", &group_id, &errors, set(&group_id)) }
            { select_field("share-group-topic", "Topic", "", set(&topic), topic_options(&topics, &chosen)) }
            { field("share-reset", "share.auto.offset.reset", "text", "latest, earliest or by_duration:<ISO-8601 duration> (e.g. by_duration:PT30S)", &f.reset, &errors, edit(|f| &mut f.reset)) }
            { field("share-lock", "share.record.lock.duration.ms", "number", "How long an acquired record stays locked to its consumer (15000 to 60000; the broker's default 30000)", &f.lock, &errors, edit(|f| &mut f.lock)) }
            { field("share-limit", "share.delivery.count.limit", "number", "Deliveries after which a record that comes back is archived (2 to 10; default 5)", &f.limit, &errors, edit(|f| &mut f.limit)) }
            { field("share-max-poll", "max.poll.records", "number", "Records one ShareFetch acquires at most", &f.max_poll, &errors, edit(|f| &mut f.max_poll)) }
            { select_field("share-mode", "share.acknowledgement.mode", "implicit: the next poll accepts everything; explicit: the application accepts, releases or rejects each record",
                edit(|f| &mut f.mode), options(&ACK_MODE_CHOICES, &f.mode)) }
            { field("share-processing", "Processing ms per record", "number", "", &f.processing, &errors, edit(|f| &mut f.processing)) }
            if f.mode == "explicit" {
                { field("share-failing-keys", "Failing keys (comma-separated)", "text", "Records with these keys fail processing (poison records), e.g. key-3", &f.failing_keys, &errors, edit(|f| &mut f.failing_keys)) }
                { select_field("share-on-failure", "On failure", "What the application acknowledges a failed record with", edit(|f| &mut f.on_failure), options(&ON_FAILURE_CHOICES, &f.on_failure)) }
            }
            if let Some(e) = errors.get("") { <p class="field-error" role="alert">{ e.clone() }</p> }
            <button class="primary" type="submit">{ "Create share group" }</button>
        </form>
    };
    menu("+ Share group", "menu-share-group", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_with_a_message_naming_the_field() {
        assert_eq!(parse_number::<u32>("partitions", " 6 ", 1, 10), Ok(6));
        assert_eq!(parse_number::<u32>("partitions", "0", 1, 10).unwrap_err(), "partitions must be a whole number from 1 to 10");
        assert!(parse_number::<u16>("replication factor", "x", 1, 3).unwrap_err().starts_with("replication factor"));
        assert!(parse_number::<u32>("partitions", "-1", 1, 10).is_err());
    }

    #[test]
    fn group_timing_follows_kafka_bounds() {
        let mut e = Errors::new();
        assert_eq!(check_group_timing("45000", "3000", "300000", "1", &mut e), Some((45_000, 3_000, 300_000, 1)));
        assert!(e.is_empty());
        let mut e = Errors::new();
        assert_eq!(check_group_timing("5000", "3000", "300000", "1", &mut e), None);
        assert!(e.get("group-session").unwrap().contains("6000"));
        let mut e = Errors::new();
        assert_eq!(check_group_timing("10000", "10000", "300000", "1", &mut e), None);
        assert!(e.get("group-heartbeat").unwrap().contains("lower than session.timeout.ms"));
        assert_eq!(e.insert("group-heartbeat", "x".into()).as_deref().map(|m| m.contains("lower")), Some(true));
        assert_eq!(e.remove("group-heartbeat").as_deref(), Some("x"));
        assert_eq!(e.get("group-heartbeat"), None);
    }

    #[test]
    fn strategy_choices_parse_into_a_group_config() {
        for (value, _) in STRATEGY_CHOICES {
            let c: grouplab_engine::group::GroupConfig = serde_json::from_value(serde_json::json!({
                "partition.assignment.strategy": actions::split_strategies(value),
                "commit_mode": "manual_after", "auto.offset.reset": "earliest"
            }))
            .unwrap();
            assert_eq!(c.assignment_strategies, actions::split_strategies(value));
        }
    }

    /// The selects' values are the engine's own config names, and each maps to its mode.
    #[test]
    fn commit_and_reset_choices_name_the_engine_values() {
        for (value, _) in COMMIT_CHOICES {
            assert_eq!(serde_json::to_value(commit_mode(value)).unwrap(), value);
        }
        for (value, _) in RESET_CHOICES {
            assert_eq!(serde_json::to_value(auto_offset_reset(value)).unwrap(), value);
            assert_eq!(auto_offset_reset(value).name(), value);
        }
    }

    /// The share-group form's settings, and the engine's refusals landing on the field they name.
    #[test]
    fn share_settings_and_their_errors() {
        let mut e = Errors::new();
        let s = share_settings(&ShareFields::default(), (30_000, 5), &mut e).unwrap();
        assert!(e.is_empty());
        assert_eq!(s, ShareGroupSettings::default(), "the defaults leave the broker's values unset");
        let fields = ShareFields { lock: "20000".into(), mode: "explicit".into(), failing_keys: "key-1, key-2".into(), on_failure: "reject".into(), reset: "earliest".into(), ..ShareFields::default() };
        let s = share_settings(&fields, (30_000, 5), &mut e).unwrap();
        assert_eq!((s.record_lock_duration_ms, s.delivery_count_limit, s.auto_offset_reset.clone()), (Some(20_000), None, ShareOffsetReset::Earliest));
        assert_eq!((s.failing_keys.clone(), s.on_failure, s.acknowledgement_mode), (vec!["key-1".to_string(), "key-2".to_string()], OnFailure::Reject, AcknowledgementMode::Explicit));
        let implicit = ShareFields { failing_keys: "key-1".into(), ..ShareFields::default() };
        assert!(share_settings(&implicit, (30_000, 5), &mut e).unwrap().failing_keys.is_empty(), "failing keys are an explicit-mode setting");
        let mut e = Errors::new();
        assert_eq!(share_settings(&ShareFields { limit: "x".into(), ..ShareFields::default() }, (30_000, 5), &mut e), None);
        assert!(e.get("share-limit").unwrap().starts_with("share.delivery.count.limit"));
        // Kafka's bounds come from the engine, on the field they concern.
        let mut lab = crate::model::Lab::new(crate::model::default_scenario()).unwrap();
        let refused = |fields: ShareFields| {
            let settings = share_settings(&fields, (30_000, 5), &mut Errors::new()).unwrap();
            share_error_field(&lab.sim.clone().apply(actions::create_share_group("s", "orders", settings)).unwrap_err())
        };
        assert_eq!(refused(ShareFields { lock: "1000".into(), ..ShareFields::default() }), "share-lock");
        assert_eq!(refused(ShareFields { limit: "11".into(), ..ShareFields::default() }), "share-limit");
        assert_eq!(refused(ShareFields { reset: "by_duration:soon".into(), ..ShareFields::default() }), "share-reset");
        assert_eq!(refused(ShareFields { max_poll: "0".into(), ..ShareFields::default() }), "share-max-poll");
        assert_eq!(share_error_field(&SimError::InvalidRequest("'my-group' is a consumer group".into())), "share-group-id");
        assert_eq!(share_error_field(&SimError::UnknownTopicOrPartition("x".into())), "");
        assert!(lab.apply(actions::create_share_group("s", "orders", ShareGroupSettings::default())).is_ok());
    }

    #[test]
    fn engine_errors_land_on_their_field() {
        assert_eq!(topic_error_field(&SimError::InvalidTopic("x".into())), "topic-name");
        assert_eq!(topic_error_field(&SimError::InvalidReplicationFactor("x".into())), "topic-rf");
        assert_eq!(topic_error_field(&SimError::InvalidRequest("x".into())), "");
    }
}
