//! A compact stable sort, shared by the engine and the UI.
//!
//! Not a Kafka concept: this module exists to keep the WebAssembly bundle small. The standard
//! library's `sort*` methods are generic over the element type and the comparator, so every call
//! site with a different element type or closure gets its own copy of the (large) driftsort or
//! ipnsort code. Here the work is done once, by a non-generic merge sort of an index
//! permutation that calls the comparator through `&mut dyn FnMut`; the generic wrappers only
//! build that comparator and then move the elements into place with swaps.
//!
//! The sort is **stable**: elements that compare equal keep their relative order. A stable
//! sort's result is fully determined by the comparator, so these functions give exactly the
//! same result as `slice::sort`, `slice::sort_by` and `slice::sort_by_key` (for a comparator
//! that is a total order). They also give the result of `sort_unstable*` whenever elements that
//! compare equal are indistinguishable (sorting integers, strings, or tuples of them by their
//! whole value) or the keys are unique.
//!
//! Cost: `O(n log n)` comparisons, `O(n)` for input that is already sorted, and two `usize`
//! buffers of length `n`. The sort never panics, whatever the comparator does: an inconsistent
//! comparator yields some permutation of the input.

use std::cmp::Ordering;

/// Runs shorter than this are sorted by insertion before merging.
const RUN: usize = 12;

/// Sorts `v` stably with the comparator `compare` (like [`slice::sort_by`]).
pub fn sort_by<T, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut compare: F) {
    if v.len() < 2 {
        return;
    }
    let perm = {
        let v: &[T] = v;
        sorted_permutation(v.len(), &mut |a, b| compare(&v[a], &v[b]) == Ordering::Less)
    };
    apply_permutation(perm, &mut |a, b| v.swap(a, b));
}

/// Sorts `v` stably by the key `key` extracts (like [`slice::sort_by_key`]; the key is
/// recomputed at every comparison).
pub fn sort_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut key: F) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in ascending order (like [`slice::sort`]).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The stable sorting permutation of `0..n` under `less`: position `k` of the result holds the
/// index of the element that belongs at `k`. Bottom-up merge sort over insertion-sorted runs.
fn sorted_permutation(n: usize, less: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut a: Vec<usize> = (0..n).collect();
    for run in a.chunks_mut(RUN) {
        for i in 1..run.len() {
            let x = run[i];
            let mut j = i;
            while j > 0 && less(x, run[j - 1]) {
                run[j] = run[j - 1];
                j -= 1;
            }
            run[j] = x;
        }
    }
    if n <= RUN {
        return a;
    }
    let mut buf = vec![0usize; n];
    let mut width = RUN;
    while width < n {
        for (src, dst) in a.chunks(2 * width).zip(buf.chunks_mut(2 * width)) {
            let mid = width.min(src.len());
            let (left, right) = src.split_at(mid);
            match (left.last(), right.first()) {
                (Some(&l), Some(&r)) if less(r, l) => merge(left, right, dst, less),
                _ => dst.copy_from_slice(src),
            }
        }
        std::mem::swap(&mut a, &mut buf);
        width = width.saturating_mul(2);
    }
    a
}

/// Merges the sorted runs `left` and `right` into `dst` (`left.len() + right.len()` long),
/// taking from `left` on ties.
fn merge(left: &[usize], right: &[usize], dst: &mut [usize], less: &mut dyn FnMut(usize, usize) -> bool) {
    let (mut i, mut j) = (0, 0);
    for slot in dst.iter_mut() {
        if j < right.len() && (i >= left.len() || less(right[j], left[i])) {
            *slot = right[j];
            j += 1;
        } else {
            *slot = left[i];
            i += 1;
        }
    }
}

/// Rearranges a sequence so that position `k` receives the element at `perm[k]`, by following
/// the permutation's cycles with `swap(a, b)`.
fn apply_permutation(mut perm: Vec<usize>, swap: &mut dyn FnMut(usize, usize)) {
    for i in 0..perm.len() {
        let mut j = i;
        // Positions already in place are marked as fixed points (`perm[j] == j`).
        while perm[j] != j {
            let src = perm[j];
            perm[j] = j;
            if src == i {
                break;
            }
            swap(j, src);
            j = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_small_and_empty_inputs() {
        let mut v: Vec<u32> = vec![];
        sort(&mut v);
        assert!(v.is_empty());
        let mut v = vec![3];
        sort(&mut v);
        assert_eq!(v, [3]);
        let mut v = vec![2, 1];
        sort(&mut v);
        assert_eq!(v, [1, 2]);
        let mut v: Vec<u32> = (0..100).rev().collect();
        sort(&mut v);
        assert_eq!(v, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn keeps_ties_in_input_order() {
        // 40 elements with keys 0..4: stability is visible in the second field.
        let mut v: Vec<(u32, u32)> = (0..40).map(|i| ((i * 7) % 4, i)).collect();
        sort_by_key(&mut v, |&(k, _)| k);
        let mut expected = v.clone();
        expected.sort_by_key(|&(k, _)| k);
        assert_eq!(v, expected);
        for w in v.windows(2) {
            assert!(w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1), "{w:?}");
        }
    }

    #[test]
    fn inconsistent_comparator_still_permutes() {
        let mut v: Vec<u32> = (0..50).collect();
        let mut flip = false;
        sort_by(&mut v, |_, _| {
            flip = !flip;
            if flip { Ordering::Less } else { Ordering::Greater }
        });
        let mut check = v.clone();
        check.sort_unstable();
        assert_eq!(check, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn sorts_strings_and_slices_of_a_deque() {
        let mut v = vec!["b".to_string(), "a".into(), "c".into(), "a".into()];
        sort(&mut v);
        assert_eq!(v, ["a", "a", "b", "c"]);
        let mut d: std::collections::VecDeque<u32> = (0..30).collect();
        d.rotate_left(7);
        d.push_front(100);
        sort_by_key(d.make_contiguous(), |&x| std::cmp::Reverse(x));
        let got: Vec<u32> = d.into_iter().collect();
        let mut expected: Vec<u32> = (0..30).chain([100]).collect();
        expected.sort_by_key(|&x| std::cmp::Reverse(x));
        assert_eq!(got, expected);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("GROUPLAB_PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)
        ))]

        /// Same result as the standard library's stable sort, ties included.
        #[test]
        fn matches_std_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            sort_by_key(&mut ours, |&(k, _)| k);
            let mut std_sorted = v.clone();
            std_sorted.sort_by_key(|&(k, _)| k);
            prop_assert_eq!(&ours, &std_sorted);

            let mut ours = v.clone();
            sort(&mut ours);
            let mut std_sorted = v;
            std_sorted.sort_unstable();
            prop_assert_eq!(ours, std_sorted);
        }
    }
}
