//! Export to a JSON file, import it back, and a shareable link (`#s=` + base64url).

use super::forms::menu;
use crate::persist;
use crate::state::Action;
use gloo::file::callbacks::FileReader;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Offers `text` as a file download named `name`.
fn download(name: &str, text: &str) -> Result<(), String> {
    let blob = gloo::file::Blob::new_with_options(text, Some("application/json"));
    let url = gloo::file::ObjectUrl::from(blob);
    let document = gloo::utils::document();
    let a = document.create_element("a").map_err(|_| "cannot create a link".to_string())?;
    a.set_attribute("href", &url).map_err(|_| "cannot set the link".to_string())?;
    a.set_attribute("download", name).map_err(|_| "cannot set the file name".to_string())?;
    let a: web_sys::HtmlElement = a.dyn_into().map_err(|_| "not an HTML element".to_string())?;
    a.click();
    Ok(())
}

#[function_component(FileMenu)]
pub fn file_menu() -> Html {
    let state = use_context::<super::ViewContext>().expect("view context").state;
    let reader = use_mut_ref(|| None::<FileReader>);
    let link = use_state(String::new);
    let export = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let (json, now) = {
                let lab = state.lab.borrow();
                (persist::export_json(&lab), lab.now_ms())
            };
            if let Err(e) = download(&format!("grouplab-{now}ms.json"), &json) {
                state.dispatch(Action::ShowError(format!("export failed: {e}")));
            }
        })
    };
    let import = {
        let state = state.clone();
        let reader = reader.clone();
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<web_sys::HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            let file = gloo::file::File::from(file);
            let name = file.name();
            let state = state.clone();
            input.set_value("");
            *reader.borrow_mut() = Some(gloo::file::callbacks::read_as_text(&file, move |res| match res {
                Err(e) => state.dispatch(Action::ShowError(format!("cannot read {name}: {e}"))),
                Ok(text) => match persist::import_json(&text) {
                    Ok(lab) => state.dispatch(Action::Replace(Box::new(lab))),
                    Err(e) => state.dispatch(Action::ShowError(format!("{name}: {e}"))),
                },
            }));
        })
    };
    let share = {
        let state = state.clone();
        let link = link.clone();
        Callback::from(move |_: MouseEvent| {
            let fragment = persist::share_fragment(&state.lab.borrow());
            let location = gloo::utils::window().location();
            let base = location.href().unwrap_or_default();
            let base = base.split('#').next().unwrap_or_default().to_string();
            let _ = location.set_hash(&fragment);
            link.set(format!("{base}#{fragment}"));
        })
    };
    let body = html! {
        <div class="form">
            <button aria-label="Export simulation to a JSON file" data-testid="export" onclick={export}>{ "Export JSON" }</button>
            <label class="file-button">
                <span>{ "Import JSON…" }</span>
                <input type="file" accept="application/json,.json" onchange={import} data-testid="import" aria-label="Import simulation from a JSON file" />
            </label>
            <button aria-label="Put the simulation in the page URL" data-testid="share" onclick={share}>{ "Share link" }</button>
            if !link.is_empty() {
                <label class="field">
                    <span>{ "Link (copy it)" }</span>
                    <input readonly=true value={(*link).clone()} data-testid="share-link" />
                </label>
            }
        </div>
    };
    menu("File", "menu-file", body)
}
