//! Kafka's own tables for a group: what `kafka-consumer-groups.sh --describe`, `--describe
//! --members` and `--describe --state` print, with the CLI's status lines. The tables come from
//! the engine's `tools` layer (the same ones the terminal prints), shown here as HTML tables.

use grouplab_engine::tools::{describe_members, describe_offsets, describe_state, status_line, Table};
use grouplab_engine::{GroupView, View};
use yew::prelude::*;

/// Rows shown at most (the CLI prints all; a note counts the rest).
pub const MAX_ROWS: usize = 50;

/// An engine [`Table`] as an HTML table (at most [`MAX_ROWS`] rows, then a count of the rest).
fn table(t: &Table, testid: &'static str) -> Html {
    html! {
        <div class="cli-scroll">
            <table class="cli" data-testid={testid}>
                <thead><tr>{ for t.head.iter().map(|h| html! { <th scope="col">{ h.clone() }</th> }) }</tr></thead>
                <tbody>
                    { for t.rows.iter().take(MAX_ROWS).map(|r| html! { <tr>{ for r.iter().map(|c| html! { <td>{ c.clone() }</td> }) }</tr> }) }
                </tbody>
            </table>
            if t.rows.len() > MAX_ROWS { <p class="muted small">{ format!("… {} more rows", t.rows.len() - MAX_ROWS) }</p> }
        </div>
    }
}

/// The CLI panel of group `g`: `open` says whether it is unfolded, `tab` which output it shows
/// (the group card keeps both). A plain function, not a component: one fewer copy of yew's
/// component code.
pub fn kafka_tables(view: &View, g: &GroupView, tab: &UseStateHandle<usize>, open: &UseStateHandle<bool>) -> Html {
    let toggle = {
        let open = open.clone();
        Callback::from(move |e: Event| open.set(e.target_unchecked_into::<web_sys::HtmlDetailsElement>().open()))
    };
    let pick = |i: usize| {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(i))
    };
    let flags = ["--describe", "--describe --members", "--describe --state"];
    html! {
        <details class="cli-panel" ontoggle={toggle} data-testid="kafka-tables">
            <summary>{ "kafka-consumer-groups.sh" }</summary>
            if **open {
                <div role="tablist" aria-label="kafka-consumer-groups.sh output" class="tabs">
                    { for flags.iter().enumerate().map(|(i, f)| html! {
                        <button role="tab" aria-selected={if **tab == i { "true" } else { "false" }} onclick={pick(i)}>{ *f }</button>
                    }) }
                </div>
                <pre class="cmd">{ format!("$ kafka-consumer-groups.sh --bootstrap-server localhost:9092 --group {} {}", g.group_id, flags[**tab]) }</pre>
                if let Some(w) = status_line(g) { <p class="cli-warning" data-testid="cli-warning">{ w }</p> }
                { match **tab {
                    0 => table(&describe_offsets(view, g, false), "cli-describe"),
                    1 => table(&describe_members(g, false), "cli-members"),
                    _ => table(&describe_state(g, false), "cli-state"),
                } }
            }
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    /// The panel shows the engine's tables (whose text is tested against Kafka's in
    /// `engine/tests/terminal.rs`): the status line and the columns follow the group.
    #[test]
    fn the_panels_show_the_engines_tables() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        let g = lab.view().groups[0].clone();
        assert_eq!(status_line(&g).unwrap(), "Consumer group 'my-group' has no active members.");
        for _ in 0..3 {
            lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        }
        lab.advance_by(1_000);
        assert_eq!(status_line(&lab.view().groups[0]).unwrap(), "Warning: Consumer group 'my-group' is rebalancing.");
        lab.advance_by(20_000);
        let view = lab.view();
        let g = &view.groups[0];
        assert_eq!(status_line(g), None);
        let t = describe_offsets(&view, g, false);
        assert_eq!(&t.head[..9], ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]);
        assert_eq!(t.rows.len(), 6);
        assert_eq!(describe_members(g, false).rows.len(), 3);
        assert_eq!(describe_state(g, false).rows[0][3], "Stable");
    }
}
