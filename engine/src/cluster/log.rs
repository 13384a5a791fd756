//! One replica's log: records, segments, leader-epoch cache, high watermark.
//!
//! Models Kafka's `UnifiedLog` / `LocalLog` / `LeaderEpochFileCache`. Records are small `Copy`
//! structs kept in chunks of [`CHUNK_RECORDS`]: full chunks are sealed behind an `Arc` and
//! never change again, the last one is open. A follower whose sealed chunk holds exactly the
//! records of its leader's chunk keeps the leader's instead of its own copy
//! ([`Log::share_sealed_with`]), and a clone of a log (a snapshot of the simulation) shares
//! every sealed chunk: the records of a partition are stored about once, not once per replica
//! and per snapshot. Reads return a [`Slice`] over the chunks. Offsets are strictly increasing
//! but may have gaps after compaction, exactly like a compacted Kafka log.

use std::sync::Arc;

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

/// Records per chunk of a log's storage.
pub const CHUNK_RECORDS: usize = 128;

/// A log's records: sealed chunks of exactly [`CHUNK_RECORDS`] records, then the open chunk
/// (fewer). Record `i` of the store is `sealed[i / CHUNK_RECORDS][i % CHUNK_RECORDS]` or, past
/// the sealed ones, `open[i - sealed_len]`.
#[derive(Clone, Debug, Default)]
struct Store {
    sealed: Vec<Arc<[Record]>>,
    open: Vec<Record>,
}

impl Store {
    fn sealed_len(&self) -> usize {
        self.sealed.len() * CHUNK_RECORDS
    }
    fn len(&self) -> usize {
        self.sealed_len() + self.open.len()
    }
    fn get(&self, i: usize) -> &Record {
        match self.sealed.get(i / CHUNK_RECORDS) {
            Some(c) => &c[i % CHUNK_RECORDS],
            None => &self.open[i - self.sealed_len()],
        }
    }
    fn push_all(&mut self, mut records: &[Record]) {
        while !records.is_empty() {
            let room = CHUNK_RECORDS - self.open.len();
            let (now, rest) = records.split_at(room.min(records.len()));
            if self.open.capacity() - self.open.len() < now.len() {
                // Double up to a chunk (from 16 records): thousands of slowly growing replica
                // logs, each open chunk copied by a handful of reallocations at most.
                let len = self.open.len();
                self.open.reserve_exact(now.len().max(len).max(16).min(CHUNK_RECORDS - len));
            }
            self.open.extend_from_slice(now);
            if self.open.len() == CHUNK_RECORDS {
                self.sealed.push(Arc::from(std::mem::take(&mut self.open)));
            }
            records = rest;
        }
    }
    /// Keeps the first `n` records.
    fn truncate(&mut self, n: usize) {
        if n >= self.sealed_len() {
            self.open.truncate(n - self.sealed_len());
            return;
        }
        let k = n / CHUNK_RECORDS;
        self.open = self.sealed[k][..n % CHUNK_RECORDS].to_vec();
        self.sealed.truncate(k);
    }
    /// Drops the first `n` records' whole chunks; returns how many records that was.
    fn drop_front_chunks(&mut self, n: usize) -> usize {
        let k = (n / CHUNK_RECORDS).min(self.sealed.len());
        self.sealed.drain(..k);
        k * CHUNK_RECORDS
    }
    /// The longest contiguous run of records starting at `i`, ending before `end` (> `i`).
    #[inline(never)]
    fn piece(&self, i: usize, end: usize) -> &[Record] {
        let sealed_len = self.sealed_len();
        if i < sealed_len {
            let start = i - i % CHUNK_RECORDS;
            &self.sealed[i / CHUNK_RECORDS][i - start..(end - start).min(CHUNK_RECORDS)]
        } else {
            &self.open[i - sealed_len..end - sealed_len]
        }
    }
    /// Heap bytes, a sealed chunk's shared among its holders (the replicas and the snapshots
    /// that hold it count a share each, so the sum over every log counts it once).
    fn heap_bytes(&self) -> usize {
        let chunk_bytes = CHUNK_RECORDS * std::mem::size_of::<Record>();
        let sealed: usize = self.sealed.iter().map(|c| chunk_bytes / Arc::strong_count(c)).sum();
        sealed + self.open.capacity() * std::mem::size_of::<Record>() + self.sealed.capacity() * std::mem::size_of::<Arc<[Record]>>()
    }
}

/// Consecutive records of a log (ascending offsets), borrowed from its chunks.
#[derive(Clone, Copy, Debug)]
pub struct Slice<'a> {
    store: &'a Store,
    start: usize,
    end: usize,
}

impl<'a> Slice<'a> {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// Record `i` of the slice.
    pub fn get(&self, i: usize) -> Option<&'a Record> {
        (i < self.len()).then(|| self.store.get(self.start + i))
    }
    /// First record.
    pub fn first(&self) -> Option<&'a Record> {
        self.get(0)
    }
    /// Last record.
    pub fn last(&self) -> Option<&'a Record> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
    /// The records in order.
    pub fn iter(&self) -> Iter<'a> {
        Iter { store: self.store, next: self.start, end: self.end, piece: [].iter() }
    }
    /// Copies the records.
    pub fn to_vec(&self) -> Vec<Record> {
        let mut v = Vec::with_capacity(self.len());
        self.extend_into(&mut v);
        v
    }
    /// Appends copies of the records to `v`, a chunk's run at a time.
    pub fn extend_into(&self, v: &mut Vec<Record>) {
        let mut i = self.start;
        while i < self.end {
            let piece = self.store.piece(i, self.end);
            v.extend_from_slice(piece);
            i += piece.len();
        }
    }
    /// Index of the first record for which `pred` is false (`pred` true then false along the slice).
    pub fn partition_point(&self, mut pred: impl FnMut(&Record) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.store.get(self.start + mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
    /// The first `n` records (all if fewer).
    fn take(self, n: usize) -> Slice<'a> {
        Slice { end: self.end.min(self.start.saturating_add(n)), ..self }
    }
    /// From record `i` on.
    fn skip(self, i: usize) -> Slice<'a> {
        Slice { start: self.start.saturating_add(i).min(self.end), ..self }
    }
}

impl<'a> IntoIterator for Slice<'a> {
    type Item = &'a Record;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The records of a [`Slice`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    store: &'a Store,
    next: usize,
    end: usize,
    piece: std::slice::Iter<'a, Record>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Record;
    fn next(&mut self) -> Option<&'a Record> {
        loop {
            if let Some(r) = self.piece.next() {
                return Some(r);
            }
            if self.next >= self.end {
                return None;
            }
            let piece = self.store.piece(self.next, self.end);
            self.next += piece.len();
            self.piece = piece.iter();
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.piece.len() + (self.end - self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// A replica's log.
#[derive(Clone, Debug, Default)]
pub struct Log {
    store: Store,
    /// Store index of the first retained record.
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
    pub fn records(&self) -> Slice<'_> {
        Slice { store: &self.store, start: self.head, end: self.store.len() }
    }
    /// Number of retained records.
    pub fn len(&self) -> u64 {
        (self.store.len() - self.head) as u64
    }
    /// Whether no record is retained.
    pub fn is_empty(&self) -> bool {
        self.store.len() == self.head
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
    /// Approximate heap bytes of this log (its record chunks, a shared chunk counted as a share,
    /// plus segments and epochs).
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
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
    fn position(recs: Slice<'_>, offset: u64) -> usize {
        let (Some(first), Some(last)) = (recs.first(), recs.last()) else { return 0 };
        if last.offset - first.offset == (recs.len() - 1) as u64 {
            return offset.saturating_sub(first.offset).min(recs.len() as u64) as usize;
        }
        recs.partition_point(|r| r.offset < offset)
    }

    /// Records with offsets in `[from, until)`, at most `max` of them.
    pub fn slice(&self, from: u64, until: u64, max: usize) -> Slice<'_> {
        let recs = self.records();
        if from >= until || max == 0 {
            // Empty either way; skip touching the records.
            return recs.take(0);
        }
        let a = Self::position(recs, from);
        let b = Self::position(recs, until);
        recs.skip(a).take(b.saturating_sub(a).min(max))
    }

    /// What a consumer may read from `offset` on: at most `max` records below the high watermark.
    pub fn read(&self, from: u64, max: usize) -> Slice<'_> {
        self.slice(from, self.high_watermark, max)
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
            self.store.push_all(chunk);
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
        let removed = Slice { store: &self.store, start: idx, end: self.store.len() }.to_vec();
        self.store.truncate(idx);
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
        self.store = Store::default();
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
        let recs = Slice { store: &self.store, start: self.head, end: self.store.len() };
        let n = self.segments.len();
        for i in 0..n {
            let base = self.segments[i].base_offset;
            let end = if i + 1 < n { self.segments[i + 1].base_offset } else { u64::MAX };
            let a = recs.partition_point(|r| r.offset < base);
            let b = recs.partition_point(|r| r.offset < end);
            let seg = &mut self.segments[i];
            seg.records = (b - a) as u64;
            seg.max_timestamp_ms = recs.skip(a).take(b - a).iter().map(|r| r.timestamp_ms).max().unwrap_or(seg.first_timestamp_ms);
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
        // Drop the chunks wholly below the log start.
        self.head -= self.store.drop_front_chunks(self.head);
        k as u64
    }

    /// Remove, in `[log start, until)`, every keyed record that has a later record with the same
    /// key anywhere below `until` (the log cleaner; `until` is the first uncleanable offset).
    /// Returns the number of records removed.
    pub fn compact(&mut self, until: u64, key_space: usize) -> u64 {
        let until = until.min(self.log_end_offset);
        let end_idx = self.head + self.index_of(until);
        if end_idx <= self.head {
            return 0;
        }
        let cleaned = Slice { store: &self.store, start: self.head, end: end_idx };
        // Latest offset per key below `until`: a dense table indexed by key id (bounded by the
        // cluster's key cap).
        let mut latest: Vec<u64> = vec![u64::MAX; key_space];
        for r in cleaned {
            if (r.key as usize) < key_space {
                latest[r.key as usize] = r.offset;
            }
        }
        let keep = |r: &Record| r.offset >= until || r.key == NO_KEY || (r.key as usize) >= key_space || latest[r.key as usize] == r.offset;
        // The cleaner rewrites the log: a new store of the records it keeps.
        let mut kept = Store::default();
        for r in self.records() {
            if keep(r) {
                kept.push_all(std::slice::from_ref(r));
            }
        }
        let removed = self.len() as usize - kept.len();
        if removed > 0 {
            self.store = kept;
            self.head = 0;
        }
        if until > self.cleaner_checkpoint {
            self.cleaner_checkpoint = until;
        }
        self.recompute_segment_stats();
        removed as u64
    }

    /// Where this log's sealed chunks hold exactly the records of `leader`'s chunk that starts
    /// at the same offset, keeps the leader's chunk instead of its own copy (a follower that
    /// fetched them). Newest first, stopping at the first chunk already shared or different.
    pub fn share_sealed_with(&mut self, leader: &Log) {
        for k in (0..self.store.sealed.len()).rev() {
            let mine = &self.store.sealed[k];
            let first = mine[0].offset;
            let theirs = leader.store.sealed.partition_point(|c| c[0].offset < first);
            let Some(theirs) = leader.store.sealed.get(theirs) else { continue };
            if Arc::ptr_eq(mine, theirs) || theirs[..] != mine[..] {
                return;
            }
            self.store.sealed[k] = Arc::clone(theirs);
        }
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

    /// A follower that keeps its leader's chunks holds no second copy of their records, and the
    /// heap bytes of the two logs count those chunks once.
    #[test]
    fn shared_chunks_are_counted_once() {
        let recs: Vec<Record> = (0..2 * CHUNK_RECORDS as u64).map(|o| rec(o, 0, 0, o)).collect();
        let (mut leader, mut follower) = (Log::new(), Log::new());
        leader.append(&recs, 1_000, u64::MAX);
        follower.append(&recs, 1_000, u64::MAX);
        let one_copy = leader.heap_bytes();
        assert_eq!(follower.heap_bytes(), one_copy, "a copy of its own before sharing");
        follower.share_sealed_with(&leader);
        assert_eq!(follower.records().to_vec(), recs);
        let both = leader.heap_bytes() + follower.heap_bytes();
        let chunks = 2 * CHUNK_RECORDS * std::mem::size_of::<Record>();
        assert!(both <= 2 * one_copy - chunks, "the two sealed chunks are counted once: {both} bytes, {one_copy} for one log");
    }

    /// The chunked store against a plain `Vec` of the same records, through random appends,
    /// truncations, retention, compaction and sharing with a leader log, across many chunks.
    #[test]
    fn chunked_records_match_a_vec_model() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut leader = Log::new();
        let mut log = Log::new();
        let mut model: Vec<Record> = Vec::new();
        let mut offset = 0u64;
        let mut shared_seen = false;
        for step in 0..3_000 {
            match next(10) {
                0..=5 => {
                    let n = 1 + next(3 * CHUNK_RECORDS as u64 / 2);
                    let recs: Vec<Record> = (0..n).map(|i| rec(offset + i, next(40) as u32, 0, offset + i)).collect();
                    offset += n;
                    leader.append(&recs, 1_000, u64::MAX);
                    log.append(&recs, 1_000, u64::MAX);
                    log.share_sealed_with(&leader);
                    shared_seen |= log.store.sealed.iter().any(|c| leader.store.sealed.iter().any(|l| Arc::ptr_eq(c, l)));
                    model.extend_from_slice(&recs);
                }
                6 => {
                    let to = log.log_start_offset() + next(log.log_end_offset() - log.log_start_offset() + 1);
                    let removed = log.truncate_to(to);
                    let keep = model.partition_point(|r| r.offset < to);
                    assert_eq!(removed, model.split_off(keep), "step {step}");
                    leader.truncate_to(to);
                    offset = log.log_end_offset();
                }
                7 => {
                    log.set_high_watermark(log.log_end_offset());
                    let to = log.log_start_offset() + next(log.log_end_offset() - log.log_start_offset() + 1);
                    log.advance_log_start(to);
                    model.retain(|r| r.offset >= log.log_start_offset());
                }
                8 => {
                    let until = log.log_start_offset() + next(log.log_end_offset() - log.log_start_offset() + 1);
                    let latest: std::collections::BTreeMap<u32, u64> = model.iter().filter(|r| r.offset < until).map(|r| (r.key, r.offset)).collect();
                    let before = model.len();
                    model.retain(|r| r.offset >= until || latest[&r.key] == r.offset);
                    assert_eq!(log.compact(until, 40), (before - model.len()) as u64, "step {step}");
                }
                _ => {
                    let from = log.log_start_offset().saturating_sub(2) + next(log.log_end_offset() + 4);
                    let until = from + next(2 * CHUNK_RECORDS as u64);
                    let max = next(CHUNK_RECORDS as u64 * 2) as usize;
                    let want: Vec<Record> = model.iter().filter(|r| r.offset >= from && r.offset < until).take(max).copied().collect();
                    let got = log.slice(from, until, max);
                    assert_eq!(got.to_vec(), want, "step {step}: slice({from}, {until}, {max})");
                    assert_eq!(got.iter().count(), got.len());
                    assert_eq!(got.first(), want.first());
                    assert_eq!(got.last(), want.last());
                }
            }
            assert_eq!(log.records().to_vec(), model, "step {step}");
            assert_eq!(log.len(), model.len() as u64);
        }
        assert!(shared_seen, "a follower's chunks holding the leader's records are the leader's");
    }

    #[test]
    fn retention_respects_hw() {
        let mut log = Log::new();
        let recs: Vec<Record> = (0..10).map(|o| rec(o, NO_KEY, 0, o)).collect();
        log.append(&recs, 3, u64::MAX);
        log.set_high_watermark(4);
        assert_eq!(log.advance_log_start(8), 4);
        assert_eq!(log.log_start_offset(), 4);
        assert_eq!(log.records().first().map(|r| r.offset), Some(4));
    }
}
