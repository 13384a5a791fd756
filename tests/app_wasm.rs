//! The app mounted in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use gloo::utils::document;
use grouplab::app::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root.clone()).render();
    root
}

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
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
