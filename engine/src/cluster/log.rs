//! One replica's log: records, segments, leader-epoch cache, high watermark.
//!
//! Models Kafka's `UnifiedLog` / `LocalLog` / `LeaderEpochFileCache`. Records are small `Copy`
//! structs in one contiguous buffer (a `Vec` with a moving head, so reads return slices and
//! replication is a slice copy). Offsets are strictly increasing but may have gaps after
//! compaction, exactly like a compacted Kafka log.

use serde::Serialize;

/// Key id meaning "null key".
pub const NO_KEY: u32 = u32::MAX;

/// One record. `producer_id` + `sequence` identify it across the whole run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Offset in the partition.
    pub offset: u64,
    /// `CreateTime` (simulated ms; simulated time 0 is the Unix epoch, 1970-01-01T00:00:00Z,
    /// so this is an epoch timestamp as Kafka's).
    pub timestamp_ms: u64,
    /// Payload (an offset value for `__consumer_offsets` records, otherwise 0).
    pub value: u64,
    /// Simulated producer index (see `Cluster::producer_name`).
    pub producer_id: u32,
    /// Per-producer sequence number.
    pub sequence: u32,
    /// Interned key id, [`NO_KEY`] for null.
    pub key: u32,
    /// Leader epoch of the leader that appended it (the batch's `partitionLeaderEpoch`).
    pub leader_epoch: u32,
}

/// A log segment: the offsets `base_offset..` up to the next segment's base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// First offset that belongs to the segment.
    pub base_offset: u64,
    /// Timestamp of its first record (`segment.ms` rolling uses it).
    pub first_timestamp_ms: u64,
    /// Largest record timestamp (`retention.ms` uses it).
    pub max_timestamp_ms: u64,
    /// Records in the segment (bytes = records × the simulated record size).
    pub records: u64,
}

/// A replica's log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    buf: Vec<Record>,
    head: usize,
    log_start_offset: u64,
    log_end_offset: u64,
    segments: Vec<Segment>,
    /// `(epoch, start_offset)`, ascending (`LeaderEpochFileCache`).
    epochs: Vec<(u32, u64)>,
    high_watermark: u64,
    /// Offset below which the cleaner has compacted (the cleaner checkpoint).
    cleaner_checkpoint: u64,
}

impl Log {
    /// Empty log.
    pub fn new() -> Log {
        Log::default()
    }
    /// Retained records, ascending offsets.
    pub fn records(&self) -> &[Record] {
        &self.buf[self.head..]
    }
    /// Number of retained records.
    pub fn len(&self) -> u64 {
        (self.buf.len() - self.head) as u64
    }
    /// Whether no record is retained.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == self.head
    }
    /// Log start offset.
    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset
    }
    /// Log end offset (next offset to be written).
    pub fn log_end_offset(&self) -> u64 {
        self.log_end_offset
    }
    /// This replica's high watermark.
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }
    /// Segments, oldest first; the last one is the active segment.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }
    /// Leader-epoch cache.
    pub fn epochs(&self) -> &[(u32, u64)] {
        &self.epochs
    }
    /// Latest epoch in the cache.
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|e| e.0)
    }
    /// Cleaner checkpoint.
    pub fn cleaner_checkpoint(&self) -> u64 {
        self.cleaner_checkpoint
    }
    /// Room for `n` more records. A log grows by a quarter at a time, not by doubling: a
    /// simulation holds thousands of logs (every replica of every partition), most of them
    /// long-lived and slowly growing, so doubling's slack (a quarter of the buffer on average,
    /// up to a half) would be most of the simulation's memory; growth stays geometric, so
    /// appends stay amortized O(1).
    fn reserve(&mut self, n: usize) {
        let len = self.buf.len();
        if self.buf.capacity() - len < n {
            self.buf.reserve_exact(n.max(len / 4).max(16));
        }
    }

    /// Approximate heap bytes of this log (capacity of the record buffer + segments + epochs).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<Record>()
            + self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.epochs.capacity() * std::mem::size_of::<(u32, u64)>()
    }

    /// Index in `records()` of the first record with offset ≥ `offset`.
    pub fn index_of(&self, offset: u64) -> usize {
        Self::position(self.records(), offset)
    }

    /// Index in `recs` (strictly increasing offsets) of the first record with offset ≥
    /// `offset`. O(1) when the offsets have no gaps (every log that was never compacted):
    /// then the record at index `i` has offset `first + i`. Otherwise a binary search.
    fn position(recs: &[Record], offset: u64) -> usize {
        let (Some(first), Some(last)) = (recs.first(), recs.last()) else { return 0 };
        if last.offset - first.offset == (recs.len() - 1) as u64 {
            return offset.saturating_sub(first.offset).min(recs.len() as u64) as usize;
        }
        recs.partition_point(|r| r.offset < offset)
    }

    /// Records with offsets in `[from, until)`, at most `max` of them.
    pub fn slice(&self, from: u64, until: u64, max: usize) -> &[Record] {
        if from >= until || max == 0 {
            // Empty either way; skip touching the record buffer.
            return &[];
        }
        let recs = self.records();
        let a = Self::position(recs, from);
        let b = Self::position(recs, until);
        let b = b.min(a.saturating_add(max));
        &recs[a..b.max(a)]
    }

    /// Set the high watermark (callers keep it ≤ LEO; the leader only moves it forward).
    pub fn set_high_watermark(&mut self, hw: u64) {
        debug_assert!(hw <= self.log_end_offset);
        self.high_watermark = hw.min(self.log_end_offset);
    }

    fn note_epoch(&mut self, epoch: u32, offset: u64) {
        match self.epochs.last() {
            Some(&(e, _)) if e >= epoch => {}
            _ => self.epochs.push((epoch, offset)),
        }
    }

    /// Append records that already carry offsets (leader appends assign them; followers copy).
    /// Records must continue the log (offset ≥ LEO). Rolls segments when the active one holds
    /// `segment_records` records (`segment.bytes` / record size) or spans `segment.ms`.
    pub fn append(&mut self, records: &[Record], segment_records: u64, segment_ms: u64) {
        if records.is_empty() {
            return;
        }
        debug_assert!(records[0].offset >= self.log_end_offset);
        // Split at segment boundaries without per-record work in the common case.
        let mut i = 0;
        while i < records.len() {
            let r0 = records[i];
            let need_roll = match self.segments.last() {
                None => true,
                Some(s) => {
                    s.records > 0
                        && (s.records >= segment_records
                            || r0.timestamp_ms.saturating_sub(s.first_timestamp_ms) >= segment_ms)
                }
            };
            if need_roll {
                self.segments.push(Segment {
                    base_offset: r0.offset,
                    first_timestamp_ms: r0.timestamp_ms,
                    max_timestamp_ms: r0.timestamp_ms,
                    records: 0,
                });
            }
            let seg = self.segments.last_mut().expect("segment exists");
            if seg.records == 0 {
                seg.first_timestamp_ms = r0.timestamp_ms;
                seg.max_timestamp_ms = r0.timestamp_ms;
            }
            // How many records fit in this segment by size (at least one).
            let room = segment_records.saturating_sub(seg.records).max(1);
            let mut n = ((records.len() - i) as u64).min(room) as usize;
            // Time-based roll inside the chunk: records with ts beyond first+segment_ms go next.
            let limit_ts = seg.first_timestamp_ms.saturating_add(segment_ms);
            if records[i + n - 1].timestamp_ms >= limit_ts {
                let k = records[i..i + n].partition_point(|r| r.timestamp_ms < limit_ts);
                n = k.max(1);
            }
            let chunk = &records[i..i + n];
            seg.records += n as u64;
            // Timestamps are assigned by the leader's clock, so they never decrease: the last
            // record carries the chunk's maximum.
            let last_ts = chunk[chunk.len() - 1].timestamp_ms;
            if last_ts > seg.max_timestamp_ms {
                seg.max_timestamp_ms = last_ts;
            }
            // Epochs never decrease along a log: only scan when the chunk ends in a newer one.
            let cached = self.epochs.last().map(|e| e.0);
            if cached.is_none_or(|e| chunk[chunk.len() - 1].leader_epoch > e) {
                let mut last_epoch = cached;
                for r in chunk {
                    if last_epoch.is_none_or(|e| r.leader_epoch > e) {
                        self.note_epoch(r.leader_epoch, r.offset);
                        last_epoch = Some(r.leader_epoch);
                    }
                }
            }
            self.reserve(chunk.len());
            self.buf.extend_from_slice(chunk);
            i += n;
        }
        self.log_end_offset = records[records.len() - 1].offset + 1;
    }

    /// Leader epoch cache: note that `epoch` starts at the current LEO (a new leader does this
    /// when it takes over, `LeaderEpochFileCache.assign`).
    pub fn assign_epoch(&mut self, epoch: u32) {
        let leo = self.log_end_offset;
        self.note_epoch(epoch, leo);
    }

    /// `OffsetsForLeaderEpoch` on this (leader) log: the largest epoch ≤ `epoch` and the end
    /// offset of it (start of the next epoch, or the LEO for the latest).
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        let idx = self.epochs.partition_point(|e| e.0 <= epoch);
        if idx == 0 {
            return None;
        }
        let (e, _) = self.epochs[idx - 1];
        let end = if idx < self.epochs.len() { self.epochs[idx].1 } else { self.log_end_offset };
        Some((e, end))
    }

    /// Remove every record at offset ≥ `offset`. Returns the removed records.
    pub fn truncate_to(&mut self, offset: u64) -> Vec<Record> {
        if offset >= self.log_end_offset {
            return Vec::new();
        }
        let idx = self.head + self.index_of(offset);
        let removed: Vec<Record> = self.buf.drain(idx..).collect();
        self.log_end_offset = offset.max(self.log_start_offset);
        if self.high_watermark > self.log_end_offset {
            self.high_watermark = self.log_end_offset;
        }
        if self.cleaner_checkpoint > self.log_end_offset {
            self.cleaner_checkpoint = self.log_end_offset;
        }
        while self.epochs.len() > 1 && self.epochs.last().is_some_and(|e| e.1 >= self.log_end_offset) {
            self.epochs.pop();
        }
        if self.epochs.len() == 1 && self.epochs[0].1 > self.log_end_offset {
            self.epochs.clear();
        }
        while self.segments.len() > 1 && self.segments.last().is_some_and(|s| s.base_offset >= self.log_end_offset) {
            self.segments.pop();
        }
        self.recompute_segment_stats();
        removed
    }

    /// Delete everything and restart the log at `offset` (`truncateFullyAndStartAt`).
    pub fn truncate_fully_and_start_at(&mut self, offset: u64) -> u64 {
        let removed = self.len();
        self.buf.clear();
        self.head = 0;
        self.segments.clear();
        self.epochs.clear();
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.high_watermark = offset;
        self.cleaner_checkpoint = offset;
        removed
    }

    fn recompute_segment_stats(&mut self) {
        // After truncation/compaction, recompute record counts and max timestamps per segment.
        let recs = &self.buf[self.head..];
        let n = self.segments.len();
        for i in 0..n {
            let base = self.segments[i].base_offset;
            let end = if i + 1 < n { self.segments[i + 1].base_offset } else { u64::MAX };
            let a = recs.partition_point(|r| r.offset < base);
            let b = recs.partition_point(|r| r.offset < end);
            let seg = &mut self.segments[i];
            seg.records = (b - a) as u64;
            seg.max_timestamp_ms = recs[a..b].iter().map(|r| r.timestamp_ms).max().unwrap_or(seg.first_timestamp_ms);
        }
    }

    /// Advance the log start offset to `offset` (retention / DeleteRecords), dropping records
    /// and whole segments below it. Never beyond the high watermark. Returns records removed.
    pub fn advance_log_start(&mut self, offset: u64) -> u64 {
        let offset = offset.min(self.high_watermark);
        if offset <= self.log_start_offset {
            return 0;
        }
        let k = self.index_of(offset);
        self.head += k;
        self.log_start_offset = offset;
        if self.cleaner_checkpoint < offset {
            self.cleaner_checkpoint = offset;
        }
        while self.segments.len() > 1 && self.segments[1].base_offset <= offset {
            self.segments.remove(0);
        }
        if let Some(s) = self.segments.first_mut() {
            if s.base_offset < offset {
                s.base_offset = offset;
            }
        }
        self.recompute_segment_stats();
        // Compact the buffer when more than half of it is dead space.
        if self.head > 1024 && self.head * 2 > self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
        k as u64
    }

    /// Remove, in `[log start, until)`, every keyed record that has a later record with the same
    /// key anywhere below `until` (the log cleaner; `until` is the first uncleanable offset).
    /// Returns the number of records removed.
    pub fn compact(&mut self, until: u64, key_space: usize) -> u64 {
        let until = until.min(self.log_end_offset);
        let recs_len = self.buf.len();
        let end_idx = self.head + self.index_of(until);
        if end_idx <= self.head {
            return 0;
        }
        // Latest offset per key below `until`: a dense table indexed by key id (bounded by the
        // cluster's key cap).
        let mut latest: Vec<u64> = vec![u64::MAX; key_space];
        for r in &self.buf[self.head..end_idx] {
            if (r.key as usize) < key_space {
                latest[r.key as usize] = r.offset;
            }
        }
        let mut w = self.head;
        for i in self.head..end_idx {
            let r = self.buf[i];
            let keep = r.key == NO_KEY || (r.key as usize) >= key_space || latest[r.key as usize] == r.offset;
            if keep {
                self.buf[w] = r;
                w += 1;
            }
        }
        let removed = end_idx - w;
        if removed > 0 {
            self.buf.drain(w..end_idx);
        }
        debug_assert_eq!(self.buf.len(), recs_len - removed);
        if until > self.cleaner_checkpoint {
            self.cleaner_checkpoint = until;
        }
        self.recompute_segment_stats();
        removed as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(offset: u64, key: u32, epoch: u32, ts: u64) -> Record {
        Record { offset, timestamp_ms: ts, value: 0, producer_id: 1, sequence: offset as u32, key, leader_epoch: epoch }
    }

    #[test]
    fn append_truncate_epochs() {
        let mut log = Log::new();
        let recs: Vec<Record> = (0..10).map(|o| rec(o, NO_KEY, if o < 5 { 0 } else { 2 }, o)).collect();
        log.append(&recs, 3, u64::MAX);
        assert_eq!(log.log_end_offset(), 10);
        assert_eq!(log.epochs(), &[(0, 0), (2, 5)]);
        assert_eq!(log.segments().len(), 4); // 3 records per segment
        assert_eq!(log.end_offset_for_epoch(1), Some((0, 5)));
        assert_eq!(log.end_offset_for_epoch(2), Some((2, 10)));
        let removed = log.truncate_to(4);
        assert_eq!(removed.len(), 6);
        assert_eq!(log.log_end_offset(), 4);
        assert_eq!(log.epochs(), &[(0, 0)]);
        assert_eq!(log.segments().len(), 2);
    }

    #[test]
    fn compaction_keeps_latest_per_key() {
        let mut log = Log::new();
        let recs: Vec<Record> = (0..10).map(|o| rec(o, (o % 3) as u32, 0, o)).collect();
        log.append(&recs, u64::MAX, u64::MAX);
        let removed = log.compact(10, 3);
        assert_eq!(removed, 7);
        let offs: Vec<u64> = log.records().iter().map(|r| r.offset).collect();
        assert_eq!(offs, vec![7, 8, 9]);
        assert_eq!(log.log_end_offset(), 10);
    }

    #[test]
    fn retention_respects_hw() {
        let mut log = Log::new();
        let recs: Vec<Record> = (0..10).map(|o| rec(o, NO_KEY, 0, o)).collect();
        log.append(&recs, 3, u64::MAX);
        log.set_high_watermark(4);
        assert_eq!(log.advance_log_start(8), 4);
        assert_eq!(log.log_start_offset(), 4);
        assert_eq!(log.records()[0].offset, 4);
    }
}
