//! The help dialog: what GroupLab is and every keyboard shortcut.

use crate::shortcuts::SHORTCUTS;
use yew::prelude::*;

/// The help dialog (a plain function: it has no state of its own); `on_close` closes it.
pub fn help_dialog(on_close: Callback<()>) -> Html {
    let close = Callback::from(move |_| on_close.emit(()));
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="help-title">{ "Keyboard shortcuts" }<button class="close" aria-label="Close help" onclick={close}>{ "×" }</button></h2>
                <p class="muted">{ "Produce records, add consumers to a group, crash one and watch its partitions move after the session timeout. Drag the timeline to rewind; acting in the past forks the timeline." }</p>
                <table class="shortcuts">
                    <thead><tr><th scope="col">{ "Key" }</th><th scope="col">{ "Action" }</th></tr></thead>
                    <tbody>
                        { for SHORTCUTS.iter().map(|(k, d, _)| html! { <tr><td><kbd>{ *k }</kbd></td><td>{ *d }</td></tr> }) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}
