//! Small ordered maps and sets kept in one sorted `Vec`.
//!
//! Not a Kafka concept: like [`crate::kernel::sort`], this module exists to keep the WebAssembly bundle
//! small. `std::collections::BTreeMap` compiles its node-splitting insert, rebalancing remove,
//! clone and drop code once per key/value type, and the engine has dozens of such types (maps of
//! members, partitions, offsets, lanes…), almost all of them small: a group's members, a
//! consumer's partitions, a topic's keys. [`VecMap`] keeps its entries in a `Vec<(K, V)>`
//! sorted by key, finds a key by binary search through one non-generic routine, and inserts or
//! removes by shifting the tail. Its API is the subset of `BTreeMap`'s that the engine uses,
//! with the same meaning, and **iteration is in ascending key order exactly as in a
//! `BTreeMap`**, so swapping one for the other changes no result, trace or state hash.
//!
//! Cost: lookups are `O(log n)`; inserting or removing a key that is not the largest shifts the
//! entries after it, `O(n)`. Large or churning collections (timer queues, the delivery ledger)
//! stay in `BTreeMap`.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::{Bound, Index, RangeBounds};

/// Binary search over `0..len` with `probe(i)` comparing entry `i` to the key sought. One
/// non-generic body for every map type: `Ok(i)` if found at `i`, `Err(i)` where it would go.
fn search(len: usize, probe: &mut dyn FnMut(usize) -> Ordering) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match probe(mid) {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Ok(mid),
        }
    }
    Err(lo)
}

/// An ordered map in a sorted `Vec` (see the [module docs](self)).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// Iterator over `(&K, &V)` in key order.
pub type Iter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
/// Iterator over `(&K, &mut V)` in key order.
pub type IterMut<'a, K, V> =
    std::iter::Map<std::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;

fn pair_ref<K, V>(e: &(K, V)) -> (&K, &V) {
    (&e.0, &e.1)
}
fn pair_mut<K, V>(e: &mut (K, V)) -> (&K, &mut V) {
    (&e.0, &mut e.1)
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K, V> VecMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
    }
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(pair_ref as fn(&(K, V)) -> (&K, &V))
    }
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.entries
            .iter_mut()
            .map(pair_mut as fn(&mut (K, V)) -> (&K, &mut V))
    }
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator + Clone {
        self.entries.iter().map(|e| &e.0)
    }
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator + Clone {
        self.entries.iter().map(|e| &e.1)
    }
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|e| &mut e.1)
    }
    pub fn into_keys(self) -> impl DoubleEndedIterator<Item = K> + ExactSizeIterator {
        self.entries.into_iter().map(|e| e.0)
    }
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|e| e.1)
    }
    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.entries.first().map(pair_ref)
    }
    pub fn last_key_value(&self) -> Option<(&K, &V)> {
        self.entries.last().map(pair_ref)
    }
    pub fn pop_first(&mut self) -> Option<(K, V)> {
        if self.entries.is_empty() {
            None
        } else {
            Some(self.entries.remove(0))
        }
    }
    pub fn pop_last(&mut self) -> Option<(K, V)> {
        self.entries.pop()
    }
    /// Keeps the entries for which `keep` says true, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|e| keep(&e.0, &mut e.1));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        let entries = &self.entries;
        search(entries.len(), &mut |i| entries[i].0.borrow().cmp(key))
    }
    /// Index of the first entry not below `bound` (for `range`).
    fn lower<Q: Ord + ?Sized>(&self, bound: Bound<&Q>) -> usize
    where
        K: Borrow<Q>,
    {
        match bound {
            Bound::Unbounded => 0,
            Bound::Included(q) => self.find(q).unwrap_or_else(|i| i),
            Bound::Excluded(q) => self.find(q).map_or_else(|i| i, |i| i + 1),
        }
    }
    /// Index one past the last entry not above `bound` (for `range`).
    fn upper<Q: Ord + ?Sized>(&self, bound: Bound<&Q>) -> usize
    where
        K: Borrow<Q>,
    {
        match bound {
            Bound::Unbounded => self.entries.len(),
            Bound::Included(q) => self.find(q).map_or_else(|i| i, |i| i + 1),
            Bound::Excluded(q) => self.find(q).unwrap_or_else(|i| i),
        }
    }
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }
    pub fn get_key_value<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| pair_ref(&self.entries[i]))
    }
    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }
    /// The entry at position `i` in key order.
    pub fn get_index(&self, i: usize) -> Option<(&K, &V)> {
        self.entries.get(i).map(pair_ref)
    }
    /// The entry at position `i` in key order.
    pub fn get_index_mut(&mut self, i: usize) -> Option<(&K, &mut V)> {
        self.entries.get_mut(i).map(pair_mut)
    }
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
    /// Inserts `value` under `key`, returning the value it replaces (the key is kept, as in
    /// `BTreeMap::insert`).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // Appending in key order is the common case: skip the search.
        if self.entries.last().is_none_or(|(last, _)| *last < key) {
            self.entries.push((key, value));
            return None;
        }
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }
    pub fn remove_entry<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| self.entries.remove(i))
    }
    /// The entry for `key`, to read or insert in place.
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            Ok(index) => Entry::Occupied(OccupiedEntry { map: self, index }),
            Err(index) => Entry::Vacant(VacantEntry {
                map: self,
                index,
                key,
            }),
        }
    }
    /// The entries with keys in `range`, in order.
    pub fn range<Q: Ord + ?Sized, R: RangeBounds<Q>>(&self, range: R) -> Iter<'_, K, V>
    where
        K: Borrow<Q>,
    {
        let lo = self.lower(range.start_bound());
        let hi = self.upper(range.end_bound()).max(lo);
        self.entries[lo..hi]
            .iter()
            .map(pair_ref as fn(&(K, V)) -> (&K, &V))
    }
    /// The entries with keys in `range`, in order, values mutable.
    pub fn range_mut<Q: Ord + ?Sized, R: RangeBounds<Q>>(&mut self, range: R) -> IterMut<'_, K, V>
    where
        K: Borrow<Q>,
    {
        let lo = self.lower(range.start_bound());
        let hi = self.upper(range.end_bound()).max(lo);
        self.entries[lo..hi]
            .iter_mut()
            .map(pair_mut as fn(&mut (K, V)) -> (&K, &mut V))
    }
    /// Moves every entry of `other` into `self` (later values win, as in `BTreeMap::append`).
    pub fn append(&mut self, other: &mut Self) {
        let taken = std::mem::take(&mut other.entries);
        self.extend(taken);
    }
    /// Builds the map from entries in any order; for a repeated key the last value wins.
    fn from_entries(mut entries: Vec<(K, V)>) -> Self {
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            crate::kernel::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
            // Stable sort: among equal keys the last one given is last; keep it.
            let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
            for e in entries {
                match out.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => out.push(e),
                }
            }
            entries = out;
        }
        VecMap { entries }
    }
}

/// A view into one key's place in a [`VecMap`], as `btree_map::Entry`.
pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

/// An entry whose key is present.
pub struct OccupiedEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
}

/// An entry whose key is absent; `index` is where it goes.
pub struct VacantEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
    key: K,
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.map.entries[self.index].0
    }
    pub fn get(&self) -> &V {
        &self.map.entries[self.index].1
    }
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.map.entries[self.index].1
    }
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.entries[self.index].1
    }
    pub fn insert(&mut self, value: V) -> V {
        std::mem::replace(self.get_mut(), value)
    }
    pub fn remove(self) -> V {
        self.map.entries.remove(self.index).1
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    pub fn key(&self) -> &K {
        &self.key
    }
    pub fn insert(self, value: V) -> &'a mut V {
        self.map.entries.insert(self.index, (self.key, value));
        &mut self.map.entries[self.index].1
    }
}

impl<'a, K, V> Entry<'a, K, V> {
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(e) => e.key(),
            Entry::Vacant(e) => e.key(),
        }
    }
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }
    pub fn or_insert_with(self, default: impl FnOnce() -> V) -> &'a mut V {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(default()),
        }
    }
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }
    pub fn and_modify(mut self, f: impl FnOnce(&mut V)) -> Self {
        if let Entry::Occupied(e) = &mut self {
            f(e.get_mut());
        }
        self
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_entries(iter.into_iter().collect())
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(entries: [(K, V); N]) -> Self {
        Self::from_entries(Vec::from(entries))
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, K, V> IntoIterator for &'a mut VecMap<K, V> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> Index<&Q> for VecMap<K, V> {
    type Output = V;
    /// Panics if the key is absent, as `BTreeMap`'s index does: only for keys known present.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("VecMap: no entry for the key indexed")
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// An ordered set in a sorted `Vec`: a [`VecMap`] with unit values.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VecSet<T> {
    map: VecMap<T, ()>,
}

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet::new()
    }
}

impl<T> VecSet<T> {
    pub const fn new() -> Self {
        VecSet { map: VecMap::new() }
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn clear(&mut self) {
        self.map.clear();
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone {
        self.map.keys()
    }
    pub fn first(&self) -> Option<&T> {
        self.map.first_key_value().map(|(k, _)| k)
    }
    pub fn last(&self) -> Option<&T> {
        self.map.last_key_value().map(|(k, _)| k)
    }
    pub fn pop_first(&mut self) -> Option<T> {
        self.map.pop_first().map(|(k, _)| k)
    }
    pub fn pop_last(&mut self) -> Option<T> {
        self.map.pop_last().map(|(k, _)| k)
    }
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.map.retain(|k, _| keep(k));
    }
}

impl<T: Ord> VecSet<T> {
    /// Adds `value`; false if it was already present (the set is unchanged then).
    pub fn insert(&mut self, value: T) -> bool {
        match self.map.entry(value) {
            Entry::Occupied(_) => false,
            Entry::Vacant(e) => {
                e.insert(());
                true
            }
        }
    }
    pub fn remove<Q: Ord + ?Sized>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.remove(value).is_some()
    }
    pub fn take<Q: Ord + ?Sized>(&mut self, value: &Q) -> Option<T>
    where
        T: Borrow<Q>,
    {
        self.map.remove_entry(value).map(|(k, _)| k)
    }
    pub fn contains<Q: Ord + ?Sized>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
    {
        self.map.contains_key(value)
    }
    pub fn get<Q: Ord + ?Sized>(&self, value: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
    {
        self.map.get_key_value(value).map(|(k, _)| k)
    }
    pub fn range<Q: Ord + ?Sized, R: RangeBounds<Q>>(
        &self,
        range: R,
    ) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator + Clone
    where
        T: Borrow<Q>,
    {
        self.map.range(range).map(|(k, _)| k)
    }
    /// The values in `self` but not in `other`, in order.
    pub fn difference<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> + Clone {
        self.iter().filter(move |v| !other.contains(*v))
    }
    /// The values in both sets, in order.
    pub fn intersection<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> + Clone {
        self.iter().filter(move |v| other.contains(*v))
    }
    /// The values in either set, in order, each once.
    pub fn union<'a>(&'a self, other: &'a VecSet<T>) -> impl Iterator<Item = &'a T> {
        let mut all: Vec<&'a T> = self.iter().chain(other.iter()).collect();
        crate::kernel::sort::sort(&mut all);
        all.dedup();
        all.into_iter()
    }
    pub fn is_subset(&self, other: &VecSet<T>) -> bool {
        self.iter().all(|v| other.contains(v))
    }
    pub fn is_disjoint(&self, other: &VecSet<T>) -> bool {
        self.iter().all(|v| !other.contains(v))
    }
}

impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        VecSet {
            map: iter.into_iter().map(|v| (v, ())).collect(),
        }
    }
}

impl<T: Ord, const N: usize> From<[T; N]> for VecSet<T> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T: Ord> Extend<T> for VecSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.insert(v);
        }
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::iter::Map<std::vec::IntoIter<(T, ())>, fn((T, ())) -> T>;
    fn into_iter(self) -> Self::IntoIter {
        fn key<T>(e: (T, ())) -> T {
            e.0
        }
        self.map.entries.into_iter().map(key as fn((T, ())) -> T)
    }
}

impl<'a, T> IntoIterator for &'a VecSet<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (T, ())>, fn(&'a (T, ())) -> &'a T>;
    fn into_iter(self) -> Self::IntoIter {
        fn key<T>(e: &(T, ())) -> &T {
            &e.0
        }
        self.map.entries.iter().map(key as fn(&(T, ())) -> &T)
    }
}

impl<T: fmt::Debug> fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Serialized as a map, exactly as `BTreeMap` is.
impl<K: serde::Serialize, V: serde::Serialize> serde::Serialize for VecMap<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, K: serde::Deserialize<'de> + Ord, V: serde::Deserialize<'de>> serde::Deserialize<'de>
    for VecMap<K, V>
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: serde::Deserialize<'de> + Ord, V: serde::Deserialize<'de>>
            serde::de::Visitor<'de> for Visit<K, V>
        {
            type Value = VecMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(VecMap::from_entries(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// Serialized as a sequence, exactly as `BTreeSet` is.
impl<T: serde::Serialize> serde::Serialize for VecSet<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: serde::Deserialize<'de> + Ord> serde::Deserialize<'de> for VecSet<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values: Vec<T> = serde::Deserialize::deserialize(deserializer)?;
        Ok(values.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// The map agrees with `BTreeMap` over a deterministic mix of inserts, removes, entries
    /// and range queries.
    #[test]
    fn map_matches_btreemap() {
        let mut rng = crate::kernel::rng::SplitMix64::new(7);
        let mut a: VecMap<u32, u64> = VecMap::new();
        let mut b: BTreeMap<u32, u64> = BTreeMap::new();
        for step in 0..5_000u64 {
            let k = (rng.next_u64() % 64) as u32;
            match rng.next_u64() % 5 {
                0 | 1 => assert_eq!(a.insert(k, step), b.insert(k, step)),
                2 => assert_eq!(a.remove(&k), b.remove(&k)),
                3 => {
                    *a.entry(k).or_insert(0) += step;
                    *b.entry(k).or_insert(0) += step;
                }
                _ => {
                    let hi = k + (rng.next_u64() % 10) as u32;
                    let x: Vec<_> = a.range(k..hi).collect();
                    let y: Vec<_> = b.range(k..hi).collect();
                    assert_eq!(x, y);
                }
            }
            assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
            assert_eq!(a.get(&k), b.get(&k));
        }
    }

    #[test]
    fn from_iter_sorts_and_last_value_wins() {
        let a: VecMap<&str, u32> = [("b", 1), ("a", 2), ("b", 3)].into_iter().collect();
        let b: BTreeMap<&str, u32> = [("b", 1), ("a", 2), ("b", 3)].into_iter().collect();
        assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>());
    }

    #[test]
    fn set_operations_match_btreeset() {
        let a: VecSet<u32> = [5, 1, 3, 9].into();
        let b: VecSet<u32> = [3, 4, 5].into();
        let (x, y): (BTreeSet<u32>, BTreeSet<u32>) = ([5, 1, 3, 9].into(), [3, 4, 5].into());
        assert_eq!(
            a.difference(&b).collect::<Vec<_>>(),
            x.difference(&y).collect::<Vec<_>>()
        );
        assert_eq!(
            a.intersection(&b).collect::<Vec<_>>(),
            x.intersection(&y).collect::<Vec<_>>()
        );
        assert_eq!(
            a.union(&b).collect::<Vec<_>>(),
            x.union(&y).collect::<Vec<_>>()
        );
        let mut c = a.clone();
        assert!(!c.insert(3));
        assert!(c.remove(&3));
        assert!(!c.contains(&3));
        assert_eq!(c.range(2..).collect::<Vec<_>>(), vec![&5, &9]);
    }
}
