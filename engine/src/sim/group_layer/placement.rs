//! Coordinator placement: each group's coordinator lives on the leader of its `__consumer_offsets`
//! partition. When that leader moves, the old coordinator unloads the group (Dead, NOT_COORDINATOR)
//! and the new leader loads it from the committed offsets below the HW and the last GroupMetadata
//! value. Offset commits are appended to that compacted partition with acks=all.

use crate::cluster::{AppendError, Cluster};
use crate::group::coordinator::{CommittedOffset, GroupCoordinator};
use crate::group::output::Output;
use crate::group::protocol::{Body, CoordinatorRecord, ErrorCode, Response, TopicPartition};
use crate::group::GroupEvent;
use crate::kernel::vecmap::VecMap;
use crate::kernel::Ctx;

use super::GroupLayer;

impl GroupLayer {
    /// Loads/unloads coordinators whose `__consumer_offsets` leader changed. Returns whether
    /// anything moved.
    pub fn sync_coordinators(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        let mut moved = false;
        let gids: Vec<String> = self.groups.keys().cloned().collect();
        for gid in gids {
            let target = cluster.coordinator_for(&gid);
            let Some(g) = self.groups.get_mut(&gid) else {
                continue;
            };
            let current = g.coordinator.as_ref().map(GroupCoordinator::broker_id);
            if current == target {
                continue;
            }
            moved = true;
            let taken = g.coordinator.take();
            g.losses_settled = None;
            g.coordinator_deadline_ms = None;
            if let Some(old) = taken {
                self.unload_coordinator(ctx, cluster, &gid, old);
            }
            if let Some(b) = target {
                self.load_coordinator(ctx, cluster, &gid, b);
            }
        }
        moved
    }

    /// The old coordinator unloads the group; a dead broker sends nothing.
    fn unload_coordinator(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, mut old: GroupCoordinator) {
        let alive = cluster.broker_alive(old.broker_id());
        let out: Vec<Output> = old
            .unload(ctx.now_ms)
            .into_iter()
            .filter(|o| alive || !matches!(o, Output::Send(_)))
            .collect();
        self.apply_outputs(ctx, cluster, gid, out);
    }

    /// Broker `b` loads the group: its last GroupMetadata value and the committed offsets of
    /// `__consumer_offsets`.
    fn load_coordinator(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, b: u32) {
        let Some(g) = self.groups.get(gid) else {
            return;
        };
        let mut records: Vec<CoordinatorRecord> = g.metadata.iter().cloned().collect();
        for ((topic, partition), offset) in cluster.committed_offsets(gid) {
            records.push(CoordinatorRecord::OffsetCommit {
                group_id: gid.to_string(),
                tp: TopicPartition::new(topic, partition),
                offset: offset as i64,
                metadata: String::new(),
                commit_timestamp_ms: ctx.now_ms,
            });
        }
        let seed = ctx.rng.next_u64();
        match GroupCoordinator::load(gid.to_string(), b, g.config.coordinator_config(), seed, ctx.now_ms, records.iter()) {
            Ok((c, out)) => {
                if let Some(g) = self.groups.get_mut(gid) {
                    g.coordinator_deadline_ms = c.next_deadline_ms();
                    g.coordinator = Some(c);
                    g.losses_settled = None;
                }
                self.apply_outputs(ctx, cluster, gid, out);
            }
            Err(e) => self.audit.violations.push(format!("group {gid}: coordinator load failed: {e}")),
        }
    }

    /// Appends one offset commit to the group's `__consumer_offsets` partition (acks=all). A
    /// failed append is reported as [`GroupEvent::CommitNotPersisted`] and returned.
    pub(super) fn append_commit(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        group_id: &str,
        tp: &TopicPartition,
        offset: i64,
    ) -> Result<(), AppendError> {
        self.audit.losses_dirty = true;
        let value = u64::try_from(offset).unwrap_or(0);
        if let Err(e) = cluster.append_offset_commit(ctx, group_id, &tp.topic, tp.partition, value) {
            self.out.push(
                ctx,
                GroupEvent::CommitNotPersisted {
                    group_id: group_id.to_string(),
                    tp: tp.clone(),
                    offset,
                    error: e.name().to_string(),
                },
            );
            return Err(e);
        }
        Ok(())
    }

    /// Appends an OffsetCommit's records to `__consumer_offsets` before answering, as Kafka's
    /// coordinator does: a failed append rolls the cached offset back and the partition's
    /// result becomes the error Kafka maps it to (`NOT_ENOUGH_REPLICAS`,
    /// `UNKNOWN_TOPIC_OR_PARTITION` and unreachable leaders ⇒ `COORDINATOR_NOT_AVAILABLE`;
    /// `NOT_LEADER_OR_FOLLOWER`, `KAFKA_STORAGE_ERROR` ⇒ `NOT_COORDINATOR`).
    pub(super) fn persist_commits(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        gid: &str,
        before: VecMap<TopicPartition, Option<CommittedOffset>>,
        out: Vec<Output>,
    ) -> Vec<Output> {
        let mut failed: VecMap<TopicPartition, ErrorCode> = VecMap::new();
        let mut rest = Vec::with_capacity(out.len());
        for o in out {
            match o {
                Output::AppendRecord(CoordinatorRecord::OffsetCommit { group_id, tp, offset, .. }) => {
                    if let Err(e) = self.append_commit(ctx, cluster, &group_id, &tp, offset) {
                        let mapped = match e {
                            AppendError::NotLeaderOrFollower | AppendError::KafkaStorageError => ErrorCode::NotCoordinator,
                            _ => ErrorCode::CoordinatorNotAvailable,
                        };
                        failed.insert(tp, mapped);
                    }
                }
                Output::Send(mut m) => {
                    if let Body::Response(Response::OffsetCommit { results }) = &mut m.body {
                        for (tp, e) in results.iter_mut() {
                            if let Some(f) = failed.get(tp) {
                                *e = *f;
                            }
                        }
                    }
                    rest.push(Output::Send(m));
                }
                other => rest.push(other),
            }
        }
        if !failed.is_empty() {
            if let Some(c) = self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) {
                for tp in failed.keys() {
                    c.restore_committed(tp, before.get(tp).cloned().flatten());
                }
            }
            self.refresh_coordinator_deadline(gid);
        }
        rest
    }
}
