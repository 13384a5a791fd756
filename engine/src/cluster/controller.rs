//! The controller and elections: the leaders' ISR expiration (shrink), leader election with
//! loss accounting at a leader change, broker fencing, crash, controlled shutdown and restart,
//! and per-broker fetch delays.
//!
//! Kafka classes this follows:
//! * `kafka.cluster.Partition` — `maybeShrinkIsr`;
//! * `ReplicationControlManager` / `PartitionChangeBuilder` (KRaft controller) — leader election
//!   from the ISR in replica order, unclean election, fencing a broker whose session expired,
//!   controlled shutdown.

use super::{Acks, Cluster, ClusterEvent, ClusterTimer, LostRecord, Record, RemoteReplica, MAX_LOST_RECORDED};
use crate::kafka::error::SimError;
use crate::kernel::Ctx;

impl Cluster {
    /// Timer: `isr-expiration` (`Partition.maybeShrinkIsr` on every leader).
    pub(super) fn on_isr_expiration(&mut self, ctx: &mut Ctx) {
        self.isr_expiration_scheduled = false;
        let now = ctx.now_ms;
        let lag_max = self.config.replica_lag_time_max_ms;
        let mut lagging_anywhere = false;
        for tid in 0..self.topics.len() {
            for p in 0..self.topics[tid].partitions.len() {
                let part = &self.topics[tid].partitions[p];
                let Some(leader) = part.leader else { continue };
                if !self.broker_alive(leader) {
                    continue;
                }
                let li = part.replica_index(leader).expect("leader is a replica");
                let leo = part.logs[li].log_end_offset();
                let mut out = Vec::new();
                for (i, &b) in part.replicas.iter().enumerate() {
                    if i == li || !part.isr.contains(&b) {
                        continue;
                    }
                    let r = &part.remote[i];
                    let caught_up = r.leo == Some(leo) || self.caught_up_ms(part, i).is_some_and(|t| now.saturating_sub(t) <= lag_max);
                    if !caught_up {
                        out.push(b);
                    } else if r.leo != Some(leo) {
                        lagging_anywhere = true;
                    }
                }
                if out.is_empty() {
                    continue;
                }
                self.wake_partition(tid, p);
                let name = self.topics[tid].name.clone();
                let elr = self.config.eligible_leader_replicas;
                let min_isr = self.topics[tid].config.min_insync_replicas;
                let part = &mut self.topics[tid].partitions[p];
                for b in out {
                    let old = part.isr.clone();
                    part.isr.retain(|&x| x != b);
                    if elr {
                        part.update_elr(&old, min_isr);
                    }
                    part.partition_epoch += 1;
                    self.out.push(ctx, ClusterEvent::IsrShrink { topic: name.clone(), partition: p as u32, removed: b, isr: part.isr.clone() });
                }
                self.maybe_increment_hw(ctx, tid, p);
            }
        }
        if lagging_anywhere {
            self.ensure_isr_expiration(ctx);
        }
    }

    /// Elect a leader for `(tid, p)` (KRaft `PartitionChangeBuilder`): the first replica in
    /// replica order that is in the ISR and electable; if none and
    /// `unclean.leader.election.enable`, the first electable replica (ISR becomes just it);
    /// otherwise offline (`leader = None`, ISR keeps its last member).
    ///
    /// Electable is the controller's view (`isAcceptableLeader`): registered and unfenced. A
    /// broker that crashed is electable until its session expires and the controller fences
    /// it, as in Kafka, where the controller learns of a crash only through the missed
    /// heartbeats; the partitions it leads meanwhile are unavailable.
    fn elect_leader(&mut self, ctx: &mut Ctx, tid: usize, p: usize) {
        self.wake_partition(tid, p);
        let unclean_ok = self.topics[tid].config.unclean_leader_election_enable;
        let part = &self.topics[tid].partitions[p];
        let electable = |b: u32| self.brokers.get(b as usize).is_some_and(|x| !x.fenced);
        let clean = part.replicas.iter().copied().find(|&b| part.isr.contains(&b) && electable(b));
        // KIP-966 (`PartitionChangeBuilder.electAnyLeader`): with an empty ISR an electable
        // ELR member leads cleanly; else, with an empty ELR too, the last known leader
        // (flagged unclean); else an unclean election if allowed.
        let from_elr = (part.isr.is_empty()).then(|| part.elr.iter().copied().find(|&b| electable(b))).flatten();
        let last_known = match part.last_known_elr.as_slice() {
            [b] if part.isr.is_empty() && part.elr.is_empty() && electable(*b) => Some(*b),
            _ => None,
        };
        let (new_leader, unclean, elected_from_elr) = match (clean, from_elr, last_known) {
            (Some(b), _, _) => (Some(b), false, false),
            (None, Some(b), _) => (Some(b), false, true),
            (None, None, Some(b)) => (Some(b), true, false),
            (None, None, None) if unclean_ok => (part.replicas.iter().copied().find(|&b| electable(b)), true, false),
            (None, None, None) => (None, false, false),
        };
        let unclean = unclean && new_leader.is_some();
        if new_leader == part.leader {
            return;
        }
        let now = ctx.now_ms;
        let name = self.topics[tid].name.clone();
        // Loss accounting against the previous leader's log.
        if let (Some(prev), Some(nl)) = (part.last_leader, new_leader) {
            if prev != nl {
                self.account_divergence(ctx, tid, p, prev, nl);
            }
        }
        let part = &mut self.topics[tid].partitions[p];
        part.leader = new_leader;
        part.leader_epoch += 1;
        part.partition_epoch += 1;
        if unclean {
            part.isr = vec![new_leader.expect("unclean implies a leader")];
            part.unclean_elections += 1;
            // An unclean election clears the ELR.
            part.elr.clear();
        } else if elected_from_elr {
            // The elected ELR member becomes the sole ISR member.
            let nl = new_leader.expect("elected");
            part.isr = vec![nl];
            part.elr.retain(|&b| b != nl);
        }
        let epoch = part.leader_epoch;
        if let Some(nl) = new_leader {
            // `maybeUpdateLastKnownLeader`: a partition with a leader forgets the last one.
            part.last_known_elr.clear();
            part.last_leader = Some(nl);
            let li = part.replica_index(nl).expect("leader is a replica");
            part.logs[li].assign_epoch(epoch);
            for i in 0..part.replicas.len() {
                if i == li {
                    continue;
                }
                let in_isr = part.isr.contains(&part.replicas[i]);
                part.remote[i] = RemoteReplica {
                    leo: None,
                    last_caught_up_ms: if in_isr { Some(now) } else { None },
                    last_fetch_leader_leo: 0,
                    last_fetch_ms: now,
                    needs_truncation: true,
                    lazy: false,
                };
            }
        }
        self.out.push(ctx, ClusterEvent::LeaderElected { topic: name, partition: p as u32, leader: new_leader, leader_epoch: epoch, unclean });
        if let Some(nl) = new_leader {
            let replicas = self.topics[tid].partitions[p].replicas.clone();
            for b in replicas {
                if b != nl {
                    self.wake_fetcher(ctx, b);
                }
            }
            self.maybe_increment_hw(ctx, tid, p);
        }
    }

    /// Records of `prev`'s log beyond the divergence point with `new_leader`'s log leave the
    /// partition history: record them as lost.
    fn account_divergence(&mut self, ctx: &mut Ctx, tid: usize, p: usize, prev: u32, new_leader: u32) {
        let part = &self.topics[tid].partitions[p];
        let (Some(pi), Some(ni)) = (part.replica_index(prev), part.replica_index(new_leader)) else { return };
        let prev_log = &part.logs[pi];
        let cut = Self::divergence_offset(prev_log, &part.logs[ni]);
        let prev_hw = prev_log.high_watermark();
        let lost: Vec<Record> = prev_log.slice(cut, u64::MAX, usize::MAX).to_vec();
        if lost.is_empty() {
            return;
        }
        let mut acknowledged = 0u64;
        let mut committed = 0u64;
        let mut entries = Vec::with_capacity(lost.len().min(MAX_LOST_RECORDED));
        for r in &lost {
            let acks = self.producers.get(r.producer_id as usize).map_or(Acks::All, |x| x.acks);
            let acked = match acks {
                Acks::Zero => false,
                Acks::One => true,
                Acks::All => r.offset < prev_hw,
            };
            if acked {
                acknowledged += 1;
            }
            if r.offset < prev_hw {
                committed += 1;
            }
            entries.push(LostRecord { offset: r.offset, producer_id: r.producer_id, sequence: r.sequence, acknowledged: acked });
        }
        let name = self.topics[tid].name.clone();
        let part = &mut self.topics[tid].partitions[p];
        part.lost_records += lost.len() as u64;
        part.lost_acknowledged += acknowledged;
        part.lost_committed += committed;
        let room = MAX_LOST_RECORDED.saturating_sub(part.lost.len());
        part.lost.extend(entries.into_iter().take(room));
        self.out.push(ctx, ClusterEvent::RecordsLost {
            topic: name,
            partition: p as u32,
            first_offset: lost[0].offset,
            last_offset: lost[lost.len() - 1].offset,
            count: lost.len() as u64,
            acknowledged,
        });
    }

    fn remove_from_isr(&mut self, ctx: &mut Ctx, tid: usize, p: usize, b: u32) {
        self.wake_partition(tid, p);
        let elr = self.config.eligible_leader_replicas;
        let min_isr = self.topics[tid].config.min_insync_replicas;
        let part = &mut self.topics[tid].partitions[p];
        // Without ELR the last ISR member stays in the ISR; with it the ISR may become empty.
        if part.isr.contains(&b) && (part.isr.len() > 1 || elr) {
            let old = part.isr.clone();
            part.isr.retain(|&x| x != b);
            if elr {
                part.update_elr(&old, min_isr);
            }
            part.partition_epoch += 1;
            self.out.push(ctx, ClusterEvent::IsrShrink {
                topic: self.topics[tid].name.clone(),
                partition: p as u32,
                removed: b,
                isr: self.topics[tid].partitions[p].isr.clone(),
            });
            self.maybe_increment_hw(ctx, tid, p);
        }
    }

    /// Controller fences broker `b`: leaders move away, `b` leaves every ISR (except where it
    /// is the last member, as KRaft does).
    pub fn fence_broker(&mut self, ctx: &mut Ctx, b: u32) {
        if self.brokers[b as usize].fenced {
            return;
        }
        self.brokers[b as usize].fenced = true;
        self.wake_broker_partitions(b);
        self.out.push(ctx, ClusterEvent::BrokerFenced { broker: b });
        for tid in 0..self.topics.len() {
            for p in 0..self.topics[tid].partitions.len() {
                let part = &self.topics[tid].partitions[p];
                if !part.replicas.contains(&b) {
                    continue;
                }
                if part.leader == Some(b) {
                    // Remove b from the ISR first (unless last, without ELR), then elect.
                    let elr = self.config.eligible_leader_replicas;
                    let min_isr = self.topics[tid].config.min_insync_replicas;
                    let part = &mut self.topics[tid].partitions[p];
                    if part.isr.len() > 1 || elr {
                        let old = part.isr.clone();
                        part.isr.retain(|&x| x != b);
                        if elr {
                            part.update_elr(&old, min_isr);
                        }
                    }
                    self.elect_leader(ctx, tid, p);
                    let part = &mut self.topics[tid].partitions[p];
                    if part.leader.is_none() {
                        // Offline: KRaft keeps the last ISR member; nothing else to do.
                        continue;
                    }
                } else {
                    self.remove_from_isr(ctx, tid, p, b);
                }
            }
        }
    }

    /// Hard crash: the process stops now; the controller fences it after the session timeout.
    pub fn crash_broker(&mut self, ctx: &mut Ctx, b: u32) -> Result<(), SimError> {
        let br = self.brokers.get_mut(b as usize).ok_or_else(|| SimError::BrokerNotAvailable(format!("no broker with id {b}")))?;
        if !br.alive {
            return Err(SimError::BrokerNotAvailable(format!("broker {b} is already down")));
        }
        br.alive = false;
        br.fetch_scheduled = false;
        br.incarnation += 1;
        br.unclean_shutdown = true;
        let inc = br.incarnation;
        self.wake_broker_partitions(b);
        self.out.push(ctx, ClusterEvent::BrokerDown { broker: b, clean: false });
        self.timers.schedule_in(ctx, self.config.broker_session_timeout_ms, ClusterTimer::Fence { broker: b, incarnation: inc });
        Ok(())
    }

    /// Timer: session of a crashed broker expired.
    pub(super) fn on_fence_timer(&mut self, ctx: &mut Ctx, b: u32, incarnation: u32) {
        let Some(br) = self.brokers.get(b as usize) else { return };
        if br.alive || br.incarnation != incarnation {
            return;
        }
        self.fence_broker(ctx, b);
    }

    /// Controlled shutdown: move leadership away, leave ISRs, then stop.
    pub fn shutdown_broker(&mut self, ctx: &mut Ctx, b: u32) -> Result<(), SimError> {
        let br = self.brokers.get(b as usize).ok_or_else(|| SimError::BrokerNotAvailable(format!("no broker with id {b}")))?;
        if !br.alive {
            return Err(SimError::BrokerNotAvailable(format!("broker {b} is already down")));
        }
        // Fencing first does exactly what controlled shutdown asks the controller for: elect
        // other leaders from the ISR and shrink ISRs, while the broker's logs are complete.
        self.fence_broker(ctx, b);
        self.wake_broker_partitions(b);
        let br = &mut self.brokers[b as usize];
        br.alive = false;
        br.fetch_scheduled = false;
        br.incarnation += 1;
        self.out.push(ctx, ClusterEvent::BrokerDown { broker: b, clean: true });
        Ok(())
    }

    /// Restart a stopped broker: it registers, is unfenced, its replicas truncate and catch
    /// up; offline partitions it can lead get a leader.
    pub fn restart_broker(&mut self, ctx: &mut Ctx, b: u32) -> Result<(), SimError> {
        let br = self.brokers.get(b as usize).ok_or_else(|| SimError::BrokerNotAvailable(format!("no broker with id {b}")))?;
        if br.alive {
            return Err(SimError::BrokerNotAvailable(format!("broker {b} is already running")));
        }
        if !br.fenced {
            // Restarted before its session expired: the new incarnation fences the old one.
            self.fence_broker(ctx, b);
        }
        self.wake_broker_partitions(b);
        let br = &mut self.brokers[b as usize];
        br.alive = true;
        br.fenced = false;
        br.incarnation += 1;
        // KIP-966: a broker that registers after an unclean shutdown may have lost unflushed
        // records, so it leaves every ELR (`handleBrokerUncleanShutdown`).
        let unclean = std::mem::take(&mut br.unclean_shutdown);
        if unclean {
            for t in &mut self.topics {
                for part in &mut t.partitions {
                    part.elr.retain(|&x| x != b);
                }
            }
        }
        self.out.push(ctx, ClusterEvent::BrokerUp { broker: b });
        for tid in 0..self.topics.len() {
            for p in 0..self.topics[tid].partitions.len() {
                let part = &mut self.topics[tid].partitions[p];
                let Some(i) = part.replica_index(b) else { continue };
                part.remote[i].needs_truncation = true;
                part.remote[i].leo = None;
                part.remote[i].last_caught_up_ms = None;
                if part.leader.is_none() {
                    self.elect_leader(ctx, tid, p);
                }
            }
        }
        self.wake_fetcher(ctx, b);
        Ok(())
    }

    /// Set a broker's fetch delay override.
    pub fn set_broker_delay(&mut self, b: u32, delay: Option<u64>) -> Result<(), SimError> {
        let br = self.brokers.get_mut(b as usize).ok_or_else(|| SimError::BrokerNotAvailable(format!("no broker with id {b}")))?;
        if let Some(d) = delay {
            if d > 3_600_000 {
                return Err(SimError::InvalidConfig(format!("fetch_delay_ms {d} exceeds one hour")));
            }
        }
        br.fetch_delay_ms = delay;
        Ok(())
    }
}
