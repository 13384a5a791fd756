//! The follower fetch path: each follower broker's replica fetcher (one timer per broker, one
//! round over every partition it follows), truncation before fetching (`OffsetsForLeaderEpoch`),
//! the leader's view of its followers, ISR expansion and the high watermark; and the per-broker
//! fetch sets (`Cluster::fetch_active`) with the wake functions that keep them exact.
//!
//! Kafka classes this follows:
//! * `kafka.cluster.Partition` — leader-side follower state (`updateFollowerFetchState`,
//!   `maybeExpandIsr`, `maybeIncrementLeaderHW`);
//! * `ReplicaFetcherThread` / `AbstractFetcherThread` — one fetcher per follower broker that
//!   fetches every partition it follows, truncating first with `OffsetsForLeaderEpoch`.

use super::{Acks, Cluster, ClusterEvent, ClusterTimer, Log, Partition, Record, Topic};
use crate::kernel::Ctx;

impl Cluster {
    fn fetch_delay(&self, b: u32) -> u64 {
        self.brokers[b as usize].fetch_delay_ms.unwrap_or(self.config.replica_fetch_delay_ms)
    }

    pub(super) fn wake_fetcher(&mut self, ctx: &mut Ctx, b: u32) {
        let delay = self.fetch_delay(b);
        self.wake_fetcher_after(ctx, b, delay);
    }

    fn wake_fetcher_after(&mut self, ctx: &mut Ctx, b: u32, delay: u64) {
        let br = &mut self.brokers[b as usize];
        if br.alive && !br.fetch_scheduled {
            br.fetch_scheduled = true;
            self.timers.schedule_in(ctx, delay, ClusterTimer::Fetch { broker: b });
        }
    }

    /// Divergence point of `follower` against `leader` (`OffsetsForLeaderEpoch`, KIP-101/279):
    /// the offset the follower must truncate to.
    pub fn divergence_offset(follower: &Log, leader: &Log) -> u64 {
        let Some(fe) = follower.latest_epoch() else {
            return follower.log_end_offset();
        };
        match leader.end_offset_for_epoch(fe) {
            None => follower.log_start_offset(),
            Some((le, end)) if le == fe => end.min(follower.log_end_offset()),
            Some((le, end)) => {
                let fend = follower.end_offset_for_epoch(le).map_or(follower.log_start_offset(), |(_, o)| o);
                end.min(fend).min(follower.log_end_offset())
            }
        }
    }

    /// Timer: broker `b`'s replica fetcher runs one round.
    pub(super) fn on_fetch(&mut self, ctx: &mut Ctx, b: u32) {
        let Some(br) = self.brokers.get_mut(b as usize) else { return };
        br.fetch_scheduled = false;
        if !br.alive {
            return;
        }
        let mut again = false;
        let mut backoff = false;
        let mut scratch = std::mem::take(&mut self.scratch);
        let bi = b as usize;
        // Lazy replicas of `b` are caught up as of this round (see `RemoteReplica::lazy`).
        self.fetch_round_ms[bi] = ctx.now_ms;
        for tid in 0..self.topics.len() {
            let seg_records = (self.topics[tid].config.segment_bytes / self.config.record_size_bytes.max(1)).max(1);
            let seg_ms = self.topics[tid].config.segment_ms;
            let nwords = self.fetch_active[bi].get(tid).map_or(0, Vec::len);
            for w in 0..nwords {
                // Visit set bits in ascending order, re-reading the word after each partition
                // (the set only changes for the partition being fetched, but stay exact).
                let mut from_bit = 0u32;
                loop {
                    let word = self.fetch_active[bi][tid][w];
                    let bits = if from_bit >= 64 { 0 } else { word & (u64::MAX << from_bit) };
                    if bits == 0 {
                        break;
                    }
                    let bit = bits.trailing_zeros();
                    from_bit = bit + 1;
                    let p = w * 64 + bit as usize;
                    let part = &self.topics[tid].partitions[p];
                    let follows = part.leader.filter(|&l| l != b).and_then(|l| Some((l, part.replica_index(b)?)));
                    let Some((leader, fi)) = follows else {
                        // Not followed now; any leader change wakes the partition again.
                        self.fetch_active[bi][tid][w] &= !(1u64 << bit);
                        continue;
                    };
                    if !self.brokers[leader as usize].alive {
                        backoff = true;
                        continue;
                    }
                    let li = part.replica_index(leader).expect("leader is a replica");
                    if Self::fetch_is_idle(part, fi, li, b) {
                        // Exactly what `fetch_one` would do for this partition (see
                        // `fetch_is_idle`): only the leader's fetch bookkeeping moves, and
                        // later rounds would do the same until something changes.
                        let now = ctx.now_ms;
                        let part = &mut self.topics[tid].partitions[p];
                        let leo = part.logs[li].log_end_offset();
                        let r = &mut part.remote[fi];
                        r.last_caught_up_ms = Some(r.last_caught_up_ms.map_or(now, |t| t.max(now)));
                        r.last_fetch_leader_leo = leo;
                        r.last_fetch_ms = now;
                        r.lazy = true;
                        self.fetch_active[bi][tid][w] &= !(1u64 << bit);
                        continue;
                    }
                    let (more, _) = self.fetch_one(ctx, tid, p, fi, li, seg_records, seg_ms, &mut scratch);
                    again |= more;
                }
            }
        }
        self.scratch = scratch;
        if again {
            let d = self.fetch_delay(b);
            self.brokers[b as usize].fetch_scheduled = true;
            self.timers.schedule_in(ctx, d, ClusterTimer::Fetch { broker: b });
        } else if backoff {
            self.brokers[b as usize].fetch_scheduled = true;
            self.timers.schedule_in(ctx, self.config.replica_fetch_backoff_ms.max(1), ClusterTimer::Fetch { broker: b });
        }
    }

    /// Puts partitions `from..` of topic `tid` (new ones) in every broker's fetch set.
    pub(super) fn activate_new_partitions(&mut self, tid: usize, from: usize) {
        let n = self.topics[tid].partitions.len();
        for sets in &mut self.fetch_active {
            if sets.len() <= tid {
                sets.resize(tid + 1, Vec::new());
            }
            let words = &mut sets[tid];
            words.resize(n.div_ceil(64), 0);
            for p in from..n {
                words[p / 64] |= 1u64 << (p % 64);
            }
        }
    }

    /// [`Cluster::wake_partition`] for every partition of topic `tid`.
    pub(super) fn wake_topic(&mut self, tid: usize) {
        for p in 0..self.topics[tid].partitions.len() {
            self.wake_partition(tid, p);
        }
    }

    /// Before any change to partition `(tid, p)`: write back the fetch timestamps of its lazy
    /// replicas (their brokers' latest round times) and put the partition back in every
    /// replica's fetch set, so the next rounds see the change exactly as a full scan would.
    pub(super) fn wake_partition(&mut self, tid: usize, p: usize) {
        let part = &mut self.topics[tid].partitions[p];
        for i in 0..part.replicas.len() {
            let b = part.replicas[i] as usize;
            let r = &mut part.remote[i];
            if r.lazy {
                let t = self.fetch_round_ms[b];
                r.last_caught_up_ms = Some(t);
                r.last_fetch_ms = t;
                r.lazy = false;
            }
            if let Some(words) = self.fetch_active.get_mut(b).and_then(|s| s.get_mut(tid)) {
                words[p / 64] |= 1u64 << (p % 64);
            }
        }
    }

    /// [`Cluster::wake_partition`] for every partition hosted by broker `b`.
    pub(super) fn wake_broker_partitions(&mut self, b: u32) {
        for tid in 0..self.topics.len() {
            for p in 0..self.topics[tid].partitions.len() {
                if self.topics[tid].partitions[p].replicas.contains(&b) {
                    self.wake_partition(tid, p);
                }
            }
        }
    }

    /// `lastCaughtUpTimeMs` of replica `i` of `part` (materialised for lazy replicas).
    pub(super) fn caught_up_ms(&self, part: &Partition, i: usize) -> Option<u64> {
        let r = &part.remote[i];
        if r.lazy {
            Some(self.fetch_round_ms[part.replicas[i] as usize])
        } else {
            r.last_caught_up_ms
        }
    }

    /// Whether a fetch of follower `fi` (broker `b`) from leader `li` is idle: nothing to
    /// truncate, no records, no HW or log-start change on either side, no ISR change, and no
    /// need to fetch again soon. For such a fetch [`Cluster::fetch_one`] only records the
    /// follower as caught up now (`lastCaughtUpTimeMs`, `lastFetchTimeMs`,
    /// `lastFetchLeaderLogEndOffset`): the leader's HW already equals its LEO, so
    /// `maybe_increment_hw` cannot move it.
    pub(super) fn fetch_is_idle(part: &Partition, fi: usize, li: usize, b: u32) -> bool {
        let (f, l) = (&part.logs[fi], &part.logs[li]);
        let leo = l.log_end_offset();
        let r = &part.remote[fi];
        !r.needs_truncation
            && r.leo == Some(leo)
            && f.log_end_offset() == leo
            && l.high_watermark() == leo
            && f.high_watermark() == leo
            && f.log_start_offset() >= l.log_start_offset()
            && part.isr.contains(&b)
    }

    /// One follower fetch of one partition. Returns (needs another fetch soon, got records).
    #[allow(clippy::too_many_arguments)]
    fn fetch_one(
        &mut self,
        ctx: &mut Ctx,
        tid: usize,
        p: usize,
        fi: usize,
        li: usize,
        seg_records: u64,
        seg_ms: u64,
        scratch: &mut Vec<Record>,
    ) -> (bool, bool) {
        self.wake_partition(tid, p);
        let now = ctx.now_ms;
        let lag_max = self.config.replica_lag_time_max_ms;
        let max_records = self.config.replica_fetch_max_records.max(1) as usize;
        let detail = self.config.detail_events;
        let Topic { name: topic_name, partitions, config: topic_config, .. } = &mut self.topics[tid];
        let min_isr = topic_config.min_insync_replicas;
        let part = &mut partitions[p];
        let follower_broker = part.replicas[fi];
        // 1. Truncate first if the leader changed or we restarted.
        if part.remote[fi].needs_truncation {
            let to = Self::divergence_offset(&part.logs[fi], &part.logs[li]);
            let from_leo = part.logs[fi].log_end_offset();
            if to < from_leo {
                let removed = part.logs[fi].truncate_to(to);
                self.total_records -= removed.len() as u64;
                self.out.push(ctx, ClusterEvent::Truncated {
                    topic: topic_name.clone(),
                    partition: p as u32,
                    broker: follower_broker,
                    from_leo,
                    to_offset: to,
                });
            }
            part.remote[fi].needs_truncation = false;
        }
        // 2. Out of range below the leader's log start: start over at it.
        let leader_start = part.logs[li].log_start_offset();
        let leader_leo = part.logs[li].log_end_offset();
        if part.logs[fi].log_end_offset() < leader_start {
            let removed = part.logs[fi].truncate_fully_and_start_at(leader_start);
            self.total_records -= removed;
            self.out.push(ctx, ClusterEvent::Truncated {
                topic: topic_name.clone(),
                partition: p as u32,
                broker: follower_broker,
                from_leo: leader_start,
                to_offset: leader_start,
            });
        } else if part.logs[fi].log_end_offset() > leader_leo {
            let from_leo = part.logs[fi].log_end_offset();
            let removed = part.logs[fi].truncate_to(leader_leo);
            self.total_records -= removed.len() as u64;
            self.out.push(ctx, ClusterEvent::Truncated {
                topic: topic_name.clone(),
                partition: p as u32,
                broker: follower_broker,
                from_leo,
                to_offset: leader_leo,
            });
        }
        let fetch_offset = part.logs[fi].log_end_offset();
        // 3. Leader side: updateFollowerFetchState.
        {
            let r = &mut part.remote[fi];
            if fetch_offset >= leader_leo {
                r.last_caught_up_ms = Some(r.last_caught_up_ms.map_or(now, |t| t.max(now)));
            } else if fetch_offset >= r.last_fetch_leader_leo && r.leo.is_some() {
                let t = r.last_fetch_ms;
                r.last_caught_up_ms = Some(r.last_caught_up_ms.map_or(t, |x| x.max(t)));
            }
            r.last_fetch_leader_leo = leader_leo;
            r.last_fetch_ms = now;
            r.leo = Some(fetch_offset);
        }
        // maybeExpandIsr
        let leader_hw = part.logs[li].high_watermark();
        let epoch_start = part.logs[li].epochs().last().map_or(0, |e| e.1);
        let eligible = self.brokers[follower_broker as usize].alive && !self.brokers[follower_broker as usize].fenced;
        if !part.isr.contains(&follower_broker) && eligible && fetch_offset >= leader_hw && fetch_offset >= epoch_start {
            let old = part.isr.clone();
            part.isr.push(follower_broker);
            part.sort_isr();
            if self.config.eligible_leader_replicas {
                part.update_elr(&old, min_isr);
            }
            part.partition_epoch += 1;
            self.out.push(ctx, ClusterEvent::IsrExpand {
                topic: topic_name.clone(),
                partition: p as u32,
                added: follower_broker,
                isr: part.isr.clone(),
            });
        }
        let _ = lag_max;
        // 4. Response: records from fetch_offset (bounded), plus the leader's HW and log start.
        scratch.clear();
        part.logs[li].slice(fetch_offset, leader_leo, max_records).extend_into(scratch);
        let got = scratch.len() as u64;
        if got > 0 {
            part.logs[fi].append(scratch, seg_records, seg_ms);
            self.total_records += got;
            // The follower's chunks that now hold the leader's records are the leader's.
            if let Ok([follower, leader]) = part.logs.get_disjoint_mut([fi, li]) {
                follower.share_sealed_with(leader);
            }
        }
        let new_leo = part.logs[fi].log_end_offset();
        let leader_hw_after = {
            // HW may have advanced thanks to this fetch; compute before replying.
            self.maybe_increment_hw(ctx, tid, p);
            self.topics[tid].partitions[p].logs[li].high_watermark()
        };
        let part = &mut self.topics[tid].partitions[p];
        let fhw = leader_hw_after.min(new_leo);
        let old_fhw = part.logs[fi].high_watermark();
        if fhw > old_fhw {
            part.logs[fi].set_high_watermark(fhw);
        }
        if leader_start > part.logs[fi].log_start_offset() {
            let removed = part.logs[fi].advance_log_start(leader_start);
            self.total_records -= removed;
        }
        if got > 0 && detail {
            self.out.push(ctx, ClusterEvent::Replicated {
                topic: self.topics[tid].name.clone(),
                partition: p as u32,
                broker: follower_broker,
                from: fetch_offset,
                to: new_leo,
            });
        }
        let part = &self.topics[tid].partitions[p];
        let leader_leo_now = part.logs[li].log_end_offset();
        let more = new_leo < leader_leo_now
            || part.remote[fi].leo != Some(new_leo)
            || part.logs[fi].high_watermark() < part.logs[li].high_watermark();
        (more, got > 0)
    }

    /// `Partition.maybeIncrementLeaderHW`: HW = min LEO over the leader, ISR members and
    /// followers caught up within `replica.lag.time.max.ms`; only while ISR ≥ the effective
    /// `min.insync.replicas` (`isUnderMinIsr` guard, [`super::effective_min_isr`]); only forward.
    pub fn maybe_increment_hw(&mut self, ctx: &mut Ctx, tid: usize, p: usize) {
        let now = ctx.now_ms;
        let lag_max = self.config.replica_lag_time_max_ms;
        let part = &self.topics[tid].partitions[p];
        let min_isr = super::effective_min_isr(self.topics[tid].config.min_insync_replicas, part.replicas.len());
        let Some(leader) = part.leader else { return };
        if part.isr.len() < min_isr {
            return;
        }
        let li = part.replica_index(leader).expect("leader is a replica");
        let mut new_hw = part.logs[li].log_end_offset();
        for (i, &b) in part.replicas.iter().enumerate() {
            if i == li {
                continue;
            }
            let r = &part.remote[i];
            let caught_up_recently = self.caught_up_ms(part, i).is_some_and(|t| now.saturating_sub(t) <= lag_max) && self.eligible(b);
            if part.isr.contains(&b) || caught_up_recently {
                let leo = r.leo.unwrap_or(0);
                if leo < new_hw {
                    new_hw = leo;
                }
            }
        }
        let old = part.logs[li].high_watermark();
        if new_hw <= old {
            return;
        }
        self.wake_partition(tid, p);
        let part = &self.topics[tid].partitions[p];
        // Acknowledge acks=all records in [old, new_hw).
        {
            let recs = part.logs[li].slice(old, new_hw, usize::MAX);
            for r in recs {
                if let Some(pr) = self.producers.get_mut(r.producer_id as usize) {
                    if pr.acks == Acks::All {
                        pr.acknowledged += 1;
                    }
                }
            }
        }
        let part = &mut self.topics[tid].partitions[p];
        part.logs[li].set_high_watermark(new_hw);
        // Idle followers learn the new HW when their parked fetch returns.
        let wait = self.config.replica_fetch_wait_max_ms;
        let mut behind = [u32::MAX; 8];
        let mut nb = 0;
        for i in 0..part.replicas.len() {
            if i != li && part.logs[i].high_watermark() < new_hw && nb < behind.len() {
                behind[nb] = part.replicas[i];
                nb += 1;
            }
        }
        for &b in &behind[..nb] {
            let d = wait.max(self.fetch_delay(b));
            self.wake_fetcher_after(ctx, b, d);
        }
        if self.config.detail_events {
            self.out.push(ctx, ClusterEvent::HighWatermark {
                topic: self.topics[tid].name.clone(),
                partition: p as u32,
                from: old,
                to: new_hw,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NO_KEY;

    #[test]
    fn divergence_uses_leader_epochs() {
        let rec = |offset: u64, epoch: u32| Record { offset, timestamp_ms: 0, value: 0, producer_id: 0, sequence: 0, key: NO_KEY, leader_epoch: epoch };
        // Follower: epoch 0 for [0,5), epoch 1 for [5,8). Leader: epoch 0 [0,5), epoch 2 from 5.
        let mut f = Log::new();
        f.append(&(0..5).map(|o| rec(o, 0)).chain((5..8).map(|o| rec(o, 1))).collect::<Vec<_>>(), u64::MAX, u64::MAX);
        let mut l = Log::new();
        l.append(&(0..5).map(|o| rec(o, 0)).chain((5..9).map(|o| rec(o, 2))).collect::<Vec<_>>(), u64::MAX, u64::MAX);
        assert_eq!(Cluster::divergence_offset(&f, &l), 5);
        // Same epoch, follower shorter: nothing to truncate.
        let mut f2 = Log::new();
        f2.append(&(0..3).map(|o| rec(o, 0)).collect::<Vec<_>>(), u64::MAX, u64::MAX);
        assert_eq!(Cluster::divergence_offset(&f2, &l), 3);
    }
}
