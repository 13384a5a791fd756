//! Small, deterministic emulations of the Java library behaviour that Kafka's client
//! assignors depend on.
//!
//! Kafka's sticky assignors iterate `java.util.HashMap`/`HashSet` instances in several places
//! where the iteration order changes the result (which member is processed first in the
//! constrained builder, which partition `PartitionMovements.getTheActualPartitionToBeMoved`
//! picks, ...). Rust's `HashMap` is randomly seeded, so instead of relying on any hash map we
//! *compute* the order a Java `HashMap` would produce: entries are visited by bucket index
//! (`(h ^ (h >>> 16)) & (capacity - 1)`), and within a bucket in insertion order. Capacity starts
//! at 16 and doubles whenever the size exceeds 0.75 × capacity, or when a bucket would need to be
//! treeified while the table is still smaller than 64 (`HashMap.treeifyBin`). Tree bins
//! (8+ colliding keys in a table of 64+ buckets) are not modelled; for non-adversarial member ids
//! and partitions they do not occur.
//!
//! Also: `String.hashCode`, `String.compareTo` (UTF-16 code unit order) and
//! `TopicPartition.hashCode`.

use std::cmp::Ordering;

/// Java's `String.hashCode()`: `h = 31 * h + c` over UTF-16 code units, wrapping.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Java's `String.compareTo`: lexicographic over UTF-16 code units.
///
/// UTF-8 byte order equals code point order, which equals UTF-16 order except when a character
/// in U+E000..=U+FFFF (UTF-8 lead byte 0xEE/0xEF) meets a supplementary character (lead byte
/// 0xF0..): only then the slow UTF-16 comparison is needed.
pub fn string_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    match x.iter().zip(y).position(|(p, q)| p != q) {
        None => x.len().cmp(&y.len()),
        Some(i) if x[i] >= 0xEE && y[i] >= 0xEE => a.encode_utf16().cmp(b.encode_utf16()),
        Some(i) => x[i].cmp(&y[i]),
    }
}

/// `org.apache.kafka.common.TopicPartition.hashCode()`:
/// `31 * (31 * 1 + partition) + topic.hashCode()`.
pub fn topic_partition_hash(topic_hash: i32, partition: u32) -> i32 {
    // Partition numbers are Java ints; inputs are capped far below i32::MAX.
    let p = partition as i32;
    31i32
        .wrapping_mul(31i32.wrapping_add(p))
        .wrapping_add(topic_hash)
}

/// `HashMap.hash(key)`: spreads the high bits into the low bits.
fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

const INITIAL_CAPACITY: usize = 16;
const MIN_TREEIFY_CAPACITY: usize = 64;
const TREEIFY_THRESHOLD: usize = 8;

/// Emulates the *iteration order* of a `java.util.HashSet`/`HashMap` created with the default
/// constructor, under inserts and removals. Elements are identified by an opaque `u64` key
/// (callers guarantee distinct logical elements have distinct keys) with their Java hash.
#[derive(Clone, Debug, Default)]
pub struct JavaHashOrder {
    /// (key, java hash, insertion sequence number)
    entries: Vec<(u64, i32, u64)>,
    capacity: usize,
    next_seq: u64,
}

impl JavaHashOrder {
    /// An empty set (Java allocates the table lazily on the first insert).
    pub fn new() -> Self {
        Self::default()
    }

    fn bucket(&self, hash: i32) -> usize {
        (spread(hash) as usize) & (self.capacity - 1)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `key` is present.
    pub fn contains(&self, key: u64) -> bool {
        self.entries.iter().any(|e| e.0 == key)
    }

    /// Inserts `key` (no-op if present), updating capacity like `HashMap.putVal`.
    pub fn insert(&mut self, key: u64, hash: i32) {
        if self.contains(key) {
            return;
        }
        if self.capacity == 0 {
            self.capacity = INITIAL_CAPACITY;
        }
        let bucket = self.bucket(hash);
        let in_bucket = self
            .entries
            .iter()
            .filter(|e| self.bucket(e.1) == bucket)
            .count();
        self.entries.push((key, hash, self.next_seq));
        self.next_seq += 1;
        // putVal: appending the (binCount + 2)-th node with binCount >= TREEIFY_THRESHOLD - 1
        // calls treeifyBin, which resizes instead while the table is small.
        if in_bucket >= TREEIFY_THRESHOLD && self.capacity < MIN_TREEIFY_CAPACITY {
            self.capacity *= 2;
        }
        if self.entries.len() > self.capacity / 4 * 3 {
            self.capacity *= 2;
        }
    }

    /// Removes `key` if present (Java never shrinks the table).
    pub fn remove(&mut self, key: u64) -> bool {
        match self.entries.iter().position(|e| e.0 == key) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// The element `iterator().next()` would return.
    pub fn first(&self) -> Option<u64> {
        self.entries
            .iter()
            .min_by_key(|e| (self.bucket(e.1), e.2))
            .map(|e| e.0)
    }

    /// All keys in Java iteration order.
    pub fn iter_order(&self) -> Vec<u64> {
        let mut v: Vec<(usize, u64, u64)> = self
            .entries
            .iter()
            .map(|e| (self.bucket(e.1), e.2, e.0))
            .collect();
        crate::kernel::sort::sort(&mut v);
        v.into_iter().map(|(_, _, k)| k).collect()
    }
}

/// Iteration order of a default-constructed Java `HashMap` into which distinct keys with the
/// given hashes were inserted in slice order. Returns indices into `hashes`.
///
/// Runs in O(n log n): bucket sizes are tracked incrementally and the treeify rule is
/// replayed on each insert.
pub fn hash_map_order(hashes: &[i32]) -> Vec<usize> {
    if hashes.is_empty() {
        return Vec::new();
    }
    let mut capacity = INITIAL_CAPACITY;
    let mut counts: Vec<usize> = vec![0; capacity];
    for (size, &h) in hashes.iter().enumerate() {
        let b = (spread(h) as usize) & (capacity - 1);
        let before = counts[b];
        counts[b] += 1;
        let mut new_capacity = capacity;
        if before >= TREEIFY_THRESHOLD && new_capacity < MIN_TREEIFY_CAPACITY {
            new_capacity *= 2;
        }
        if size + 1 > new_capacity / 4 * 3 {
            new_capacity *= 2;
        }
        if new_capacity != capacity {
            capacity = new_capacity;
            counts = vec![0; capacity];
            for &h2 in &hashes[..=size] {
                counts[(spread(h2) as usize) & (capacity - 1)] += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    // Stable sort: ties (same bucket) keep insertion order.
    crate::kernel::sort::sort_by_key(&mut order, |&i| (spread(hashes[i]) as usize) & (capacity - 1));
    order
}

/// Iteration order of `new HashSet<>(Arrays.asList(values))` for `Integer` values (as Kafka's
/// group-coordinator tests build partition sets): the table is sized
/// `tableSizeFor(max(n / 0.75 + 1, 16))` up front, `Integer.hashCode()` is the value itself, and
/// entries are visited by bucket, then insertion order.
pub fn int_hash_set_order(values: &[u32]) -> Vec<u32> {
    let wanted = ((values.len() as f64 / 0.75) as usize + 1).max(INITIAL_CAPACITY);
    let capacity = wanted.next_power_of_two();
    let mut order: Vec<u32> = values.to_vec();
    // Stable: equal buckets keep insertion order.
    crate::kernel::sort::sort_by_key(&mut order, |&v| (spread(v as i32) as usize) & (capacity - 1));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("my-group"), -1906497762);
        assert_eq!(string_hash("group"), 98629247);
    }

    #[test]
    fn string_cmp_uses_utf16_units() {
        // U+FF61 (one unit 0xFF61) sorts after U+10000 (surrogates 0xD800..) in Java,
        // although its code point is smaller.
        assert_eq!(string_cmp("\u{FF61}", "\u{10000}"), Ordering::Greater);
        assert_eq!(string_cmp("a", "b"), Ordering::Less);
        assert_eq!(string_cmp("ab", "a"), Ordering::Greater);
        assert_eq!(string_cmp("\u{E000}x", "\u{E000}y"), Ordering::Less);
        assert_eq!(string_cmp("\u{10001}", "\u{10000}"), Ordering::Greater);
        for (a, b) in [("é", "z"), ("Z", "a"), ("\u{FFFF}", "\u{1F600}"), ("", "a")] {
            assert_eq!(string_cmp(a, b), a.encode_utf16().cmp(b.encode_utf16()), "{a} vs {b}");
        }
    }

    #[test]
    fn hash_map_order_small_ids() {
        // "consumer1".."consumer3": Java's HashMap iterates them by bucket.
        let ids = ["consumer1", "consumer2", "consumer3"];
        let hashes: Vec<i32> = ids.iter().map(|s| string_hash(s)).collect();
        let order = hash_map_order(&hashes);
        let mut expected: Vec<usize> = (0..3).collect();
        expected.sort_by_key(|&i| (spread(hashes[i]) & 15, i));
        assert_eq!(order, expected);
    }

    #[test]
    fn int_hash_set_order_wraps_large_values() {
        assert_eq!(int_hash_set_order(&[0, 1, 2]), vec![0, 1, 2]);
        // capacity 16: 20 lands in bucket 4, after 3
        assert_eq!(int_hash_set_order(&[3, 20]), vec![3, 20]);
        assert_eq!(int_hash_set_order(&[5, 17]), vec![17, 5]);
    }

    #[test]
    fn java_hash_order_resizes_and_keeps_insertion_order_in_bucket() {
        let mut set = JavaHashOrder::new();
        for k in 0..13u64 {
            // every key in the same bucket 0 of a 16 table until resizing separates them
            set.insert(k, (k as i32) * 16);
        }
        assert_eq!(set.len(), 13);
        assert!(set.capacity >= 32);
        let order = set.iter_order();
        let mut sorted = order.clone();
        sorted.sort_by_key(|&k| (spread((k as i32) * 16) as usize & (set.capacity - 1), k));
        assert_eq!(order, sorted);
        assert!(set.remove(0));
        assert!(!set.contains(0));
    }
}
