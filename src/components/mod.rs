//! Leaf components take plain data and `Callback`s; panels read the shared context.

pub mod groups;
pub mod lesson;
pub mod toolbar;
pub mod topics;

/// Okabe–Ito palette index for the n-th consumer of a group (CSS variables `--c0`…`--c7`).
pub fn member_colour(index: usize) -> String {
    format!("var(--c{})", index % 8)
}
