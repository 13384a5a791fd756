//! Kafka's own tables: what `kafka-consumer-groups.sh --describe`, `--describe --members` and
//! `--describe --state` print for a group, with the CLI's warnings
//! ("Consumer group 'g' is rebalancing." / "Consumer group 'g' has no active members.").

use grouplab_engine::GroupView;
use yew::prelude::*;

/// Rows shown at most (the CLI prints all; a note counts the rest).
pub const MAX_ROWS: usize = 50;

/// The simulated host of every client (Kafka prints `/<address>`).
pub const HOST: &str = "/127.0.0.1";

/// The warning the CLI prints above the table, if any.
pub fn warning(g: &GroupView) -> Option<String> {
    match g.state.as_str() {
        "PreparingRebalance" | "CompletingRebalance" => Some(format!("Warning: Consumer group '{}' is rebalancing.", g.group_id)),
        _ if g.members.is_empty() => Some(format!("Consumer group '{}' has no active members.", g.group_id)),
        _ => None,
    }
}

/// `--describe` rows: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID.
pub fn describe_rows(g: &GroupView) -> Vec<[String; 9]> {
    g.lag
        .iter()
        .map(|r| {
            let owner = r.owner.as_ref().and_then(|o| g.members.iter().find(|m| &m.client_id == o));
            let dash = || "-".to_string();
            [
                g.group_id.clone(),
                r.topic.clone(),
                r.partition.to_string(),
                r.committed.map_or_else(dash, |c| c.to_string()),
                r.high_watermark.to_string(),
                r.committed_lag.map_or_else(dash, |l| l.to_string()),
                owner.map_or_else(dash, |m| m.member_id.clone()),
                owner.map_or_else(dash, |_| HOST.to_string()),
                owner.map_or_else(dash, |m| m.client_id.clone()),
            ]
        })
        .collect()
}

/// `--members` columns: GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS, the
/// instance id column only when some member is static (`ConsumerGroupCommand`).
pub fn member_head(g: &GroupView) -> Vec<&'static str> {
    let mut head = vec!["GROUP", "CONSUMER-ID"];
    if g.members.iter().any(|m| m.group_instance_id.is_some()) {
        head.push("GROUP-INSTANCE-ID");
    }
    head.extend(["HOST", "CLIENT-ID", "#PARTITIONS"]);
    head
}

/// `--members` rows, in the columns of [`member_head`] (`-` for a dynamic member's instance id).
pub fn member_rows(g: &GroupView) -> Vec<Vec<String>> {
    let with_instance = g.members.iter().any(|m| m.group_instance_id.is_some());
    g.members
        .iter()
        .map(|m| {
            let mut row = vec![g.group_id.clone(), m.member_id.clone()];
            if with_instance {
                row.push(m.group_instance_id.clone().unwrap_or_else(|| "-".to_string()));
            }
            row.extend([HOST.to_string(), m.client_id.clone(), m.assigned.len().to_string()]);
            row
        })
        .collect()
}

/// `--state` row: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.
pub fn state_row(g: &GroupView) -> [String; 5] {
    let coordinator = g.coordinator.map_or("-".to_string(), |b| format!("broker-{b}:9092 ({b})"));
    [g.group_id.clone(), coordinator, g.protocol.clone().unwrap_or_default(), g.state.clone(), g.members.len().to_string()]
}

/// The CLI's table: column names, rows (at most [`MAX_ROWS`], then a count of the rest).
fn table(head: &[&'static str], rows: &[&[String]], testid: &'static str) -> Html {
    html! {
        <div class="cli-scroll">
            <table class="cli" data-testid={testid}>
                <thead><tr>{ for head.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                <tbody>
                    { for rows.iter().take(MAX_ROWS).map(|r| html! { <tr>{ for r.iter().map(|c| html! { <td>{ c }</td> }) }</tr> }) }
                </tbody>
            </table>
            if rows.len() > MAX_ROWS { <p class="muted small">{ format!("… {} more rows", rows.len() - MAX_ROWS) }</p> }
        </div>
    }
}

/// The CLI panel of group `g`: `open` says whether it is unfolded, `tab` which output it shows
/// (the group card keeps both). A plain function, not a component: one fewer copy of yew's
/// component code.
pub fn kafka_tables(g: &GroupView, tab: &UseStateHandle<usize>, open: &UseStateHandle<bool>) -> Html {
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
                if let Some(w) = warning(g) { <p class="cli-warning" data-testid="cli-warning">{ w }</p> }
                { match **tab {
                    0 => {
                        let rows = describe_rows(g);
                        let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
                        table(&["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"], &rows, "cli-describe")
                    }
                    1 => {
                        let rows = member_rows(g);
                        let rows: Vec<&[String]> = rows.iter().map(|r| &r[..]).collect();
                        table(&member_head(g), &rows, "cli-members")
                    }
                    _ => table(&["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"], &[&state_row(g)[..]], "cli-state"),
                } }
            }
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{default_scenario, Lab};

    #[test]
    fn tables_follow_the_cli() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        let g = lab.view().groups[0].clone();
        assert_eq!(warning(&g).unwrap(), "Consumer group 'my-group' has no active members.");
        for _ in 0..3 {
            lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        }
        lab.advance_by(1_000);
        let g = lab.view().groups[0].clone();
        assert_eq!(warning(&g).unwrap(), "Warning: Consumer group 'my-group' is rebalancing.");
        lab.advance_by(20_000);
        let g = lab.view().groups[0].clone();
        assert_eq!(g.state, "Stable");
        assert_eq!(warning(&g), None);
        let rows = describe_rows(&g);
        assert_eq!(rows.len(), 6);
        for r in &rows {
            assert_eq!(r[0], "my-group");
            assert!(r[8].starts_with("consumer-my-group-"), "{r:?}");
            if r[3] != "-" {
                let (cur, end, lag): (u64, u64, u64) = (r[3].parse().unwrap(), r[4].parse().unwrap(), r[5].parse().unwrap());
                assert_eq!(end - cur, lag, "LAG = LOG-END-OFFSET - CURRENT-OFFSET");
            }
        }
        let members = member_rows(&g);
        assert_eq!(members.len(), 3);
        assert_eq!(members.iter().map(|m| m[4].parse::<u32>().unwrap()).sum::<u32>(), 6);
        assert_eq!(member_head(&g), ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"], "no static member: no GROUP-INSTANCE-ID");
        let state = state_row(&g);
        assert_eq!(state[3], "Stable");
        assert_eq!(state[4], "3");
    }

    /// A static member (`group.instance.id`) brings the GROUP-INSTANCE-ID column; dynamic
    /// members show `-` in it.
    #[test]
    fn members_show_the_instance_id_column_when_a_member_is_static() {
        let mut lab = Lab::new(default_scenario()).unwrap();
        lab.apply(crate::actions::add_consumer("my-group")).unwrap();
        let stat = grouplab_engine::Command::AddConsumer { group_id: "my-group".into(), client_id: Some("S1".into()), topics: vec![], group_instance_id: Some("web-1".into()) };
        lab.apply(stat).unwrap();
        lab.advance_by(20_000);
        let g = lab.view().groups[0].clone();
        assert_eq!(member_head(&g), ["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS"]);
        let rows = member_rows(&g);
        let s1 = rows.iter().find(|r| r[4] == "S1").unwrap();
        assert_eq!(s1[2], "web-1");
        assert!(s1[1].starts_with("web-1-"), "a static member id starts with its instance id: {s1:?}");
        assert!(rows.iter().any(|r| r[2] == "-"));
    }
}
