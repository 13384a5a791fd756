//! Kafka's hash functions, bit-exact.
//!
//! * [`murmur2`] / [`to_positive`] follow `org.apache.kafka.common.utils.Utils.murmur2` and
//!   `Utils.toPositive`; [`partition_for_key`] is `BuiltInPartitioner.partitionForKey`.
//! * [`java_string_hash_code`] is Java's `String.hashCode()` over UTF-16 code units, and
//!   [`utils_abs`] is `Utils.abs`; [`coordinator_partition`] is
//!   `GroupCoordinatorService.partitionFor` (`Utils.abs(groupId.hashCode()) % numPartitions`).
//!
//! All functions are total: they never panic. A partition count of 0 is rejected by the callers
//! (topics always have at least one partition); here it maps to partition 0.

/// MurmurHash2 (32-bit) with Kafka's seed `0x9747b28c`, returned as a signed Java `int`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    match tail.len() {
        3 => {
            h ^= (tail[2] as u32) << 16;
            h ^= (tail[1] as u32) << 8;
            h ^= tail[0] as u32;
            h = h.wrapping_mul(M);
        }
        2 => {
            h ^= (tail[1] as u32) << 8;
            h ^= tail[0] as u32;
            h = h.wrapping_mul(M);
        }
        1 => {
            h ^= tail[0] as u32;
            h = h.wrapping_mul(M);
        }
        _ => {}
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit (`n & 0x7fffffff`). Not `Math.abs`.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// Java `String.hashCode()`: `h = 31*h + c` over UTF-16 code units with `int` wraparound.
pub fn java_string_hash_code(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(unit as i32);
    }
    h
}

/// `Utils.abs`: `Math.abs` except that `Integer.MIN_VALUE` maps to 0.
pub fn utils_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// Partition of a keyed record: `toPositive(murmur2(keyBytes)) % numPartitions`
/// (key serialized as UTF-8, as `StringSerializer` does).
pub fn partition_for_key(key: &str, num_partitions: u32) -> u32 {
    if num_partitions == 0 {
        return 0;
    }
    (to_positive(murmur2(key.as_bytes())) as u32) % num_partitions
}

/// `__consumer_offsets` partition that hosts a group's coordinator:
/// `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`.
pub fn coordinator_partition(group_id: &str, offsets_partitions: u32) -> u32 {
    if offsets_partitions == 0 {
        return 0;
    }
    (utils_abs(java_string_hash_code(group_id)) as u32) % offsets_partitions
}

/// The share coordinator's key of a share-partition (`SharePartitionKey.asCoordinatorKey`):
/// `group:topicId:partition`. Its `__share_group_state` partition is
/// [`coordinator_partition`] of it (`ShareCoordinatorService.partitionFor`).
pub fn share_coordinator_key(group_id: &str, topic_id: &str, partition: u32) -> String {
    format!("{group_id}:{topic_id}:{partition}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Utils.abs("orders:Ir7Qd0E4TSeiB0XPyFwr7Q:3".hashCode()) % 50` is 13 (hashCode -1322023913).
    #[test]
    fn share_state_partition_hashes_the_coordinator_key() {
        assert_eq!(share_coordinator_key("orders", "Ir7Qd0E4TSeiB0XPyFwr7Q", 3), "orders:Ir7Qd0E4TSeiB0XPyFwr7Q:3");
        assert_eq!(coordinator_partition(&share_coordinator_key("orders", "Ir7Qd0E4TSeiB0XPyFwr7Q", 3), 50), 13);
        assert_eq!(coordinator_partition(&share_coordinator_key("g", "AAAAAAAAAAAAAAAAAAAAAA", 0), 50), 49);
        assert_eq!(coordinator_partition(&share_coordinator_key("g", "x", 0), 0), 0);
    }

    #[test]
    fn murmur2_matches_kafka_utils_test_vectors() {
        let rows: [(&str, i32, i32, u32, u32, u32); 6] = [
            ("21", -973932308, 1173551340, 0, 0, 0),
            ("foobar", -790332482, 1357151166, 0, 0, 6),
            ("a-little-bit-long-string", -985981536, 1161502112, 2, 2, 8),
            ("a-little-bit-longer-string", -1486304829, 661178819, 2, 5, 11),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971, 2088585677, 2, 5, 5),
            ("abc", 479470107, 479470107, 0, 3, 3),
        ];
        for (key, h, pos, p3, p6, p12) in rows {
            assert_eq!(murmur2(key.as_bytes()), h, "murmur2({key})");
            assert_eq!(to_positive(h), pos, "toPositive({key})");
            assert_eq!(partition_for_key(key, 3), p3, "{key} % 3");
            assert_eq!(partition_for_key(key, 6), p6, "{key} % 6");
            assert_eq!(partition_for_key(key, 12), p12, "{key} % 12");
        }
    }

    #[test]
    fn to_positive_is_not_abs() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
    }

    #[test]
    fn java_hash_code_vectors() {
        assert_eq!(java_string_hash_code(""), 0);
        assert_eq!(java_string_hash_code("my-group"), -1906497762);
        assert_eq!(java_string_hash_code("group"), 98629247);
        // "a" = 97, "ab" = 97*31+98
        assert_eq!(java_string_hash_code("ab"), 97 * 31 + 98);
        // U+1F600 is a surrogate pair (0xD83D, 0xDE00): hashed per UTF-16 unit, not per char.
        assert_eq!(java_string_hash_code("\u{1F600}"), 0xD83D * 31 + 0xDE00);
        // Java: "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(java_string_hash_code("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn utils_abs_maps_min_value_to_zero() {
        assert_eq!(utils_abs(i32::MIN), 0);
        assert_eq!(utils_abs(-7), 7);
        assert_eq!(utils_abs(7), 7);
        assert_eq!(coordinator_partition("polygenelubricants", 50), 0);
    }

    #[test]
    fn coordinator_vectors() {
        assert_eq!(coordinator_partition("my-group", 50), 12);
        assert_eq!(coordinator_partition("group", 50), 47);
    }
}
