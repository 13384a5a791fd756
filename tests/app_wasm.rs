//! The app mounted in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use gloo::utils::document;
use grouplab::app::{App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { fresh: true }).render();
    root
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn find(root: &web_sys::Element, selector: &str) -> web_sys::HtmlElement {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no {selector}")).dyn_into().unwrap()
}

fn text(root: &web_sys::Element, selector: &str) -> String {
    find(root, selector).text_content().unwrap_or_default()
}

fn button(root: &web_sys::Element, label: &str) -> web_sys::HtmlElement {
    let buttons = root.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .find(|b| b.text_content().unwrap_or_default().trim() == label)
        .unwrap_or_else(|| panic!("no button {label:?}"))
        .dyn_into()
        .unwrap()
}

/// Sets an input's value and fires `input`, as typing would.
fn type_into(root: &web_sys::Element, selector: &str, value: &str) {
    let input: web_sys::HtmlInputElement = find(root, selector).dyn_into().unwrap();
    input.set_value(value);
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn add_consumer_shows_a_consumer_card() {
    let root = mount();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=partition]"), 6, "six partitions of `orders`");
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 0);

    button(&root, "Add consumer").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 1);

    button(&root, "Add consumer").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 2);
    root.remove();
}

#[wasm_bindgen_test]
async fn an_invalid_topic_name_is_explained_next_to_the_field_and_nothing_changes() {
    let root = mount();
    yew::scheduler::flush().await;
    let topics_before = count(&root, "[data-testid=topic]");
    type_into(&root, "#topic-name", "bad name!");
    yew::scheduler::flush().await;
    let message = text(&root, "[data-testid=topic-name-error]");
    assert!(message.contains("Topic name is invalid") && message.contains("bad name!"), "{message}");
    button(&root, "Create topic").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=topic]"), topics_before, "no topic created");
    assert_eq!(count(&root, "[data-testid=topic-name-error]"), 1, "message still shown");

    type_into(&root, "#topic-name", "payments");
    type_into(&root, "#topic-partitions", "0");
    yew::scheduler::flush().await;
    button(&root, "Create topic").click();
    yew::scheduler::flush().await;
    assert!(text(&root, "[data-testid=topic-partitions-error]").contains("partitions must be"));
    assert_eq!(count(&root, "[data-testid=topic]"), topics_before);

    type_into(&root, "#topic-partitions", "4");
    type_into(&root, "#topic-rf", "2");
    yew::scheduler::flush().await;
    button(&root, "Create topic").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=topic]"), topics_before + 1);
    assert_eq!(count(&root, "[data-topic=payments] [data-testid=partition]"), 4);
    root.remove();
}

#[wasm_bindgen_test]
async fn the_scrubber_rewinds_and_acting_in_the_past_forks() {
    let root = mount();
    yew::scheduler::flush().await;
    button(&root, "Add consumer").click();
    for _ in 0..10 {
        button(&root, "+1 s").click();
        yew::scheduler::flush().await;
    }
    button(&root, "Add consumer").click();
    button(&root, "+1 s").click();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=clock]"), "11.000 s");
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 2);

    type_into(&root, "[data-testid=scrubber]", "4000");
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=clock]"), "4.000 s");
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 1, "the second consumer joins later");
    assert_eq!(count(&root, "[data-testid=past-banner]"), 1);

    button(&root, "Produce 10").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=past-banner]"), 0, "the future was discarded");
    assert!(text(&root, "[data-testid=status]").contains("end 4.000 s"));
    for _ in 0..8 {
        button(&root, "+1 s").click();
    }
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=consumer-card]"), 1, "the forked timeline never adds the second consumer");
    root.remove();
}

#[wasm_bindgen_test]
async fn clicking_an_event_line_moves_the_timeline_there() {
    let root = mount();
    yew::scheduler::flush().await;
    button(&root, "Add consumer").click();
    for _ in 0..6 {
        button(&root, "+1 s").click();
    }
    yew::scheduler::flush().await;
    let lines = root.query_selector_all("[data-testid=log-line]").unwrap();
    assert!(lines.length() > 3);
    let last: web_sys::HtmlElement = lines.item(lines.length() - 1).unwrap().dyn_into().unwrap();
    let at: u64 = last.get_attribute("data-at").unwrap().parse().unwrap();
    last.click();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=clock]"), grouplab::components::toolbar::format_time(at));
    root.remove();
}

fn click(root: &web_sys::Element, selector: &str) {
    find(root, selector).click();
}

#[wasm_bindgen_test]
async fn a_cooperative_group_from_the_form_shows_cards_timers_and_kafka_tables() {
    let root = mount();
    yew::scheduler::flush().await;
    type_into(&root, "#group-id", "coop");
    let select: web_sys::HtmlSelectElement = find(&root, "#group-strategy").dyn_into().unwrap();
    select.set_value("cooperative-sticky");
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    yew::scheduler::flush().await;
    button(&root, "Create group").click();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=group-panel][data-group=coop]"), 1);

    click(&root, "[aria-label='Add consumer to coop']");
    click(&root, "[aria-label='Add consumer to coop']");
    for _ in 0..8 {
        button(&root, "+1 s").click();
    }
    yew::scheduler::flush().await;
    let cards = "[data-testid=consumer-card][data-group=coop]";
    assert_eq!(count(&root, cards), 2);
    let card = find(&root, cards);
    assert_eq!(card.get_attribute("data-member-state").as_deref(), Some("STABLE"));
    assert!(card.text_content().unwrap_or_default().contains("cooperative"));
    assert_eq!(count(&root, "[data-group=coop] [data-testid=arc-session-timeout]"), 2);
    let fraction: f64 = find(&root, "[data-group=coop] [data-testid=arc-session-timeout]").get_attribute("data-fraction").unwrap().parse().unwrap();
    assert!((0.0..0.5).contains(&fraction), "a live member's session arc is reset by heartbeats: {fraction}");

    let client = card.get_attribute("data-client-id").unwrap();
    click(&root, &format!("[aria-label='Stall consumer {client}']"));
    yew::scheduler::flush().await;
    assert_eq!(find(&root, &format!("[data-testid=consumer-card][data-client-id='{client}']")).get_attribute("data-status").as_deref(), Some("stalled"));

    let details: web_sys::HtmlDetailsElement = find(&root, "[data-group=coop] [data-testid=kafka-tables]").dyn_into().unwrap();
    details.set_open(true);
    details.dispatch_event(&web_sys::Event::new("toggle").unwrap()).unwrap();
    yew::scheduler::flush().await;
    let table = text(&root, "[data-group=coop] [data-testid=cli-describe]");
    for column in ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"] {
        assert!(table.contains(column), "{column} missing");
    }
    assert_eq!(count(&root, "[data-group=coop] [data-testid=cli-describe] tbody tr"), 6);
    root.remove();
}

/// The picture draws one consumer node per consumer and, once the group is stable, one edge per
/// partition whose `data-owner` is a consumer; the terminal answers a Kafka command line.
#[wasm_bindgen_test]
async fn the_picture_follows_the_group_and_the_terminal_answers() {
    let root = mount();
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=topology] [data-testid=topology-broker]"), 3);
    button(&root, "Add consumer").click();
    button(&root, "Add consumer").click();
    for _ in 0..10 {
        button(&root, "+1 s").click();
    }
    yew::scheduler::flush().await;
    assert_eq!(count(&root, "[data-testid=topology] [data-testid=topology-consumer]"), 2);
    let edges = root.query_selector_all("[data-testid=topology] [data-testid^=edge-my-group-orders-]").unwrap();
    assert_eq!(edges.length(), 6);
    let owners: Vec<String> = (0..edges.length()).filter_map(|i| edges.item(i)).filter_map(|e| e.dyn_into::<web_sys::Element>().ok()?.get_attribute("data-owner")).collect();
    assert!(owners.iter().all(|o| o.starts_with("consumer-my-group-")), "{owners:?}");

    let input: web_sys::HtmlInputElement = find(&root, "[data-testid=terminal-input]").dyn_into().unwrap();
    input.set_value("kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    input.dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap()).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, "[data-testid=terminal-stdout]"), "my-group\n");
    root.remove();
}
