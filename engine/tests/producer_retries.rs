//! Producer retries and idempotence (issue 12 point 9), each test after the Kafka source it
//! follows: `Sender.canRetry` / `Sender.completeBatch`, `RecordAccumulator.expiredBatches`,
//! `TransactionManager` (idempotent sequences, `DUPLICATE_SEQUENCE_NUMBER`), `ExponentialBackoff`,
//! `ProducerConfig.postProcessAndValidateIdempotenceConfigs`.

use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::producer::{Acks, KeySpec, ProducerEvent, ProducerOptions};
use grouplab_engine::{Command, Event, EventKind, ProducerView, Sim, SimConfig, SimError};

fn sim3() -> Sim {
    Sim::new(SimConfig { seed: 11, offsets_topic_num_partitions: 5, ..SimConfig::default() }).unwrap()
}

fn topic(sim: &mut Sim, rf: u16, config: TopicConfig) {
    sim.apply(Command::CreateTopic { name: "t".into(), partitions: 1, replication_factor: rf, config }).unwrap();
}

fn min_isr(n: u16) -> TopicConfig {
    TopicConfig { min_insync_replicas: n, ..TopicConfig::default() }
}

fn producer(sim: &mut Sim, name: &str, acks: Acks, config: ProducerOptions) -> Result<(), SimError> {
    sim.apply(Command::AddProducer { producer_id: Some(name.into()), topic: "t".into(), rate_per_sec: 100, keys: KeySpec::Fixed(vec!["k".into()]), acks, config })
}

fn view(sim: &Sim, name: &str) -> ProducerView {
    sim.view().producers.into_iter().find(|p| p.producer_id == name).unwrap()
}

fn drain(sim: &mut Sim) -> Vec<Event> {
    std::iter::from_fn(|| sim.poll_event()).collect()
}

fn replicas(sim: &Sim) -> Vec<u32> {
    sim.view().topics.into_iter().find(|t| t.name == "t").unwrap().partitions[0].replicas.clone()
}

/// (leader epoch, HW, LEO) of t-0.
fn offsets(sim: &Sim) -> (u32, u64, u64) {
    let p = sim.view().topics.into_iter().find(|t| t.name == "t").unwrap().partitions[0].clone();
    (p.leader_epoch, p.high_watermark, p.log_end_offset)
}

/// Whether the leader's log of t-0 holds some (producer, sequence) twice.
fn has_duplicates(sim: &Sim) -> bool {
    let (_, _, leo) = offsets(sim);
    let recs = sim.records("t", 0, 0, leo, 100_000);
    let mut ids: Vec<(u32, u32)> = recs.iter().map(|r| (r.producer, r.sequence)).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    ids.len() != n
}

/// `Sender.canRetry`: NOT_ENOUGH_REPLICAS is a `RetriableException`, so the batch is re-sent
/// (not failed) until the ISR is back, then delivered once.
#[test]
fn not_enough_replicas_is_retried_until_the_isr_is_back() {
    let mut sim = sim3();
    topic(&mut sim, 2, min_isr(2));
    let follower = replicas(&sim)[1];
    sim.apply(Command::CrashBroker { broker: follower }).unwrap();
    sim.advance_to(12_000); // fenced after broker.session.timeout.ms: ISR = [leader] < 2
    producer(&mut sim, "w", Acks::All, ProducerOptions::default()).unwrap();
    sim.advance_to(20_000);
    let v = view(&sim, "w");
    assert_eq!((v.appended, v.acknowledged, v.failed), (0, 0, 0), "{v:?}");
    assert!(v.retries >= 5, "{v:?}");
    assert!(v.idempotence);
    assert!(drain(&mut sim).iter().any(|e| matches!(&e.kind, EventKind::Producer(ProducerEvent::ProduceRetrying { error, .. }) if error == "NOT_ENOUGH_REPLICAS")));
    sim.apply(Command::RemoveProducer { producer_id: "w".into() }).unwrap();
    sim.apply(Command::RestartBroker { broker: follower }).unwrap();
    sim.advance_to(40_000);
    let v = view(&sim, "w");
    assert_eq!(v.sent, 800);
    assert_eq!((v.acknowledged, v.failed, v.duplicates_written, v.pending), (800, 0, 0, 0), "{v:?}");
    assert_eq!(offsets(&sim).2, 800);
    assert!(!has_duplicates(&sim));
}

/// `Sender.canRetry` / `RecordAccumulator.expiredBatches`: once `delivery.timeout.ms` has passed
/// since the batch was created, it fails with a `TimeoutException` ("Expiring N record(s) ...").
/// With `retries=0` the first NOT_ENOUGH_REPLICAS fails the batch at once.
#[test]
fn gives_up_after_delivery_timeout() {
    let mut sim = sim3();
    topic(&mut sim, 2, min_isr(2));
    let follower = replicas(&sim)[1];
    sim.apply(Command::CrashBroker { broker: follower }).unwrap();
    sim.advance_to(12_000);
    let opts = ProducerOptions { delivery_timeout_ms: Some(40_000), ..Default::default() };
    producer(&mut sim, "w", Acks::All, opts).unwrap();
    producer(&mut sim, "once", Acks::All, ProducerOptions { retries: Some(0), ..Default::default() }).unwrap();
    sim.advance_to(51_000);
    assert_eq!(view(&sim, "w").failed, 0, "not yet: 39 s since the first record");
    let once = view(&sim, "once");
    assert_eq!((once.failed, once.retries, once.idempotence), (once.sent, 0, false), "{once:?}");
    sim.advance_to(53_000);
    let v = view(&sim, "w");
    assert!(v.failed > 0 && v.acknowledged == 0, "{v:?}");
    let ev = drain(&mut sim);
    assert!(ev.iter().any(|e| matches!(&e.kind, EventKind::Producer(ProducerEvent::ProduceFailed { producer, error, message, .. })
        if producer == "w" && error == "REQUEST_TIMED_OUT" && message.starts_with("Expiring ") && message.contains("ms has passed since batch creation (last error NOT_ENOUGH_REPLICAS)"))));
    assert!(ev.iter().any(|e| matches!(&e.kind, EventKind::Producer(ProducerEvent::ProduceFailed { producer, error, .. }) if producer == "once" && error == "NOT_ENOUGH_REPLICAS")));
}

/// Three replicas, the third one slow (in the ISR but far behind, so the HW stays put while the
/// second copies everything), then the leader crashes: the acks=all requests in flight fail and
/// are re-sent to the new leader, which already holds their records.
fn leader_change_with_unacknowledged_copies(idempotence: Option<bool>) -> Sim {
    let mut sim = sim3();
    topic(&mut sim, 3, TopicConfig::default());
    let r = replicas(&sim);
    sim.apply(Command::SetBrokerDelay { broker: r[2], fetch_delay_ms: Some(600_000) }).unwrap();
    sim.advance_to(1_000);
    producer(&mut sim, "w", Acks::All, ProducerOptions { enable_idempotence: idempotence, ..Default::default() }).unwrap();
    sim.advance_to(3_000);
    let (epoch, hw, leo) = offsets(&sim);
    assert!(hw < leo, "the slow ISR member holds the HW back ({hw} < {leo})");
    sim.apply(Command::CrashBroker { broker: r[0] }).unwrap();
    sim.apply(Command::RemoveProducer { producer_id: "w".into() }).unwrap();
    sim.advance_to(60_000); // fenced, new leader r[1]; r[2] drops out of the ISR and the HW moves on
    assert!(offsets(&sim).0 > epoch);
    sim
}

/// `TransactionManager` + broker-side `ProducerStateManager`: with idempotence the re-sent
/// batches' sequences are already held by the new leader, so `DUPLICATE_SEQUENCE_NUMBER` counts
/// as success: nothing is appended twice, everything is acknowledged once, in order.
#[test]
fn idempotent_resend_after_leader_change_appends_no_duplicate() {
    let sim = leader_change_with_unacknowledged_copies(None);
    let v = view(&sim, "w");
    assert!(v.idempotence);
    assert!(v.retries > 0 && v.duplicates_avoided > 0, "{v:?}");
    assert_eq!((v.acknowledged, v.failed, v.duplicates_written, v.pending), (v.sent, 0, 0, 0), "{v:?}");
    assert_eq!(v.appended, v.sent, "each record appended once");
    assert_eq!(offsets(&sim).2, v.sent);
    assert!(!has_duplicates(&sim));
    let (_, _, leo) = offsets(&sim);
    let seqs: Vec<u32> = sim.records("t", 0, 0, leo, 100_000).iter().map(|r| r.sequence).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "per-partition order kept");
}

/// Without idempotence (`enable.idempotence=false`) the same re-send appends the records again
/// (`Sender.completeBatch` retries blindly); with acks=1 an acknowledged record is never
/// retried, and an unclean election loses it.
#[test]
fn without_idempotence_retries_duplicate_or_acks_1_loses() {
    let mut sim = leader_change_with_unacknowledged_copies(Some(false));
    let v = view(&sim, "w");
    assert!(!v.idempotence);
    assert!(v.duplicates_written > 0 && v.duplicates_avoided == 0, "{v:?}");
    assert_eq!(v.acknowledged, v.sent, "{v:?}");
    assert_eq!(offsets(&sim).2, v.sent + v.duplicates_written);
    assert!(has_duplicates(&sim));
    drain(&mut sim);

    // acks=1 (idempotence silently off): acknowledged on append, never retried, lost on an unclean election.
    let mut sim = sim3();
    topic(&mut sim, 2, TopicConfig { unclean_leader_election_enable: true, ..TopicConfig::default() });
    let r = replicas(&sim);
    sim.apply(Command::SetBrokerDelay { broker: r[1], fetch_delay_ms: Some(600_000) }).unwrap();
    producer(&mut sim, "one", Acks::One, ProducerOptions::default()).unwrap();
    sim.advance_to(40_000); // r[1] left the ISR
    sim.apply(Command::CrashBroker { broker: r[0] }).unwrap();
    sim.advance_to(60_000);
    let v = view(&sim, "one");
    assert!(!v.idempotence);
    // Only what the dead leader never took is retried (NETWORK_EXCEPTION until the election);
    // an acknowledged acks=1 record is never re-sent, so the unclean election loses it.
    assert!(v.retries > 0 && v.duplicates_written == 0 && v.failed == 0, "{v:?}");
    let p = sim.view().topics.into_iter().find(|t| t.name == "t").unwrap().partitions[0].clone();
    assert!(p.lost_acknowledged > 1000, "{p:?}");
}

/// `ExponentialBackoff(retry.backoff.ms=100, 2, retry.backoff.max.ms=1000, jitter 0.2)` as the
/// `RecordAccumulator` uses it: 100, 200, 400, 800, then 1000 ms, each ±20 % and capped at the
/// max, so 10 s of NOT_ENOUGH_REPLICAS take about 4 + 8.5 re-sends of the head batch.
#[test]
fn exponential_backoff_timing() {
    let mut sim = sim3();
    topic(&mut sim, 2, min_isr(2));
    let follower = replicas(&sim)[1];
    sim.apply(Command::CrashBroker { broker: follower }).unwrap();
    sim.advance_to(12_000);
    producer(&mut sim, "w", Acks::All, ProducerOptions::default()).unwrap();
    let t0 = 12_010; // first send
    let mut retries_at = Vec::new();
    let mut last = 0;
    for t in (t0..t0 + 10_000).step_by(10) {
        sim.advance_to(t);
        let r = view(&sim, "w").retries;
        if r != last {
            retries_at.push(t - t0);
            last = r;
        }
    }
    let gaps: Vec<u64> = std::iter::once(retries_at[0]).chain(retries_at.windows(2).map(|w| w[1] - w[0])).collect();
    let expect = [100u64, 200, 400, 800, 1000, 1000, 1000];
    for (i, (&g, &e)) in gaps.iter().zip(expect.iter()).enumerate() {
        let lo = e * 8 / 10;
        let hi = (e * 12 / 10).min(1000) + 10; // a tick of granularity
        assert!((lo..=hi).contains(&g), "gap {i} = {g} ms, want {lo}..={hi} ({gaps:?})");
    }
    assert!((10..=16).contains(&retries_at.len()), "{retries_at:?}");
}

/// `ProducerConfig.postProcessAndValidateIdempotenceConfigs`: a user-set idempotence with
/// acks≠all (or retries=0) is a `ConfigException`; unset, idempotence is silently off.
/// `KafkaProducer.configureDeliveryTimeout`: a user-set delivery.timeout.ms below
/// linger.ms + request.timeout.ms is refused.
#[test]
fn idempotence_config_is_validated_like_kafka() {
    let mut sim = sim3();
    topic(&mut sim, 1, TopicConfig::default());
    let on = ProducerOptions { enable_idempotence: Some(true), ..Default::default() };
    assert_eq!(
        producer(&mut sim, "a", Acks::One, on).unwrap_err(),
        SimError::InvalidConfig("Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.".into())
    );
    assert_eq!(
        producer(&mut sim, "a", Acks::All, ProducerOptions { retries: Some(0), ..on }).unwrap_err(),
        SimError::InvalidConfig("Must set retries to non-zero when using the idempotent producer.".into())
    );
    assert!(matches!(producer(&mut sim, "a", Acks::All, ProducerOptions { max_in_flight: Some(6), ..on }), Err(SimError::InvalidConfig(m)) if m.contains("at most 5")));
    assert!(matches!(producer(&mut sim, "a", Acks::All, ProducerOptions { delivery_timeout_ms: Some(1000), ..Default::default() }), Err(SimError::InvalidConfig(m)) if m.contains("linger.ms + request.timeout.ms")));
    assert!(sim.view().producers.is_empty(), "a rejected command changes nothing");
    producer(&mut sim, "b", Acks::One, ProducerOptions::default()).unwrap();
    producer(&mut sim, "c", Acks::All, ProducerOptions { retries: Some(0), ..Default::default() }).unwrap();
    producer(&mut sim, "d", Acks::All, ProducerOptions::default()).unwrap();
    let idem: Vec<bool> = sim.view().producers.iter().map(|p| p.idempotence).collect();
    assert_eq!(idem, [false, false, true]);
}
