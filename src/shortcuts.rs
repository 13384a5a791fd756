//! Keyboard shortcuts: one table for the handler and the help dialog.

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortcut {
    /// Play / pause.
    TogglePlay,
    /// Jump to the next event.
    Step,
    /// Rewind one second.
    Back,
    /// Fast-forward to the next rebalance (Esc cancels a fast-forward under way).
    FastForward,
    /// Open / close the help dialog.
    Help,
    /// Add a consumer to the first group.
    AddConsumer,
    /// Produce 10 records to the first topic.
    Produce,
    /// Crash the selected consumer (or the last running one).
    Crash,
    /// Switch dark / light theme.
    Theme,
    /// Open / close the glossary.
    Glossary,
    /// Double the speed.
    Faster,
    /// Halve the speed.
    Slower,
    /// Close any dialog.
    Close,
    /// Put the cursor in the terminal.
    Terminal,
}

/// (keys as shown, description, action), in the order the help dialog lists them.
pub const SHORTCUTS: &[(&str, &str, Shortcut)] = &[
    ("Space", "Play / pause", Shortcut::TogglePlay),
    ("→", "Step to the next event", Shortcut::Step),
    ("←", "Rewind one second", Shortcut::Back),
    ("f", "Fast-forward to the next rebalance (Esc cancels)", Shortcut::FastForward),
    ("+ / −", "Faster / slower (×2)", Shortcut::Faster),
    ("a", "Add a consumer to the first group", Shortcut::AddConsumer),
    ("p", "Produce 10 records to the first topic", Shortcut::Produce),
    ("c", "Crash the selected consumer (click or tab into a card to select it)", Shortcut::Crash),
    ("t", "Dark / light theme", Shortcut::Theme),
    ("g", "Glossary", Shortcut::Glossary),
    ("/", "Type in the terminal (Kafka's command lines)", Shortcut::Terminal),
    ("?", "This help", Shortcut::Help),
    ("Esc", "Close a dialog", Shortcut::Close),
];

/// The shortcut for a `KeyboardEvent.key` value, if any.
pub fn shortcut_for(key: &str) -> Option<Shortcut> {
    Some(match key {
        " " | "Spacebar" => Shortcut::TogglePlay,
        "ArrowRight" => Shortcut::Step,
        "ArrowLeft" => Shortcut::Back,
        "f" | "F" => Shortcut::FastForward,
        "?" => Shortcut::Help,
        "a" | "A" => Shortcut::AddConsumer,
        "p" | "P" => Shortcut::Produce,
        "c" | "C" => Shortcut::Crash,
        "t" | "T" => Shortcut::Theme,
        "g" | "G" => Shortcut::Glossary,
        "+" | "=" => Shortcut::Faster,
        "-" | "_" => Shortcut::Slower,
        "Escape" => Shortcut::Close,
        "/" => Shortcut::Terminal,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_action_has_a_key() {
        let keys = [" ", "ArrowRight", "ArrowLeft", "f", "?", "a", "p", "c", "t", "g", "+", "-", "Escape", "/"];
        for (_, _, action) in SHORTCUTS {
            assert!(keys.iter().any(|k| shortcut_for(k) == Some(*action)), "{action:?} has no key");
        }
        assert_eq!(shortcut_for("z"), None);
    }
}
