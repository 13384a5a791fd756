//! Tooltips on Kafka terms and the glossary panel (data in [`crate::glossary`]).

use super::{input_value, set};
use crate::glossary::{tooltip, TERMS};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct TermProps {
    /// Glossary key.
    pub term: &'static str,
    /// Text shown (defaults to the term).
    #[prop_or_default]
    pub children: Html,
}

/// A Kafka term with its meaning and governing config as a tooltip (hover or keyboard focus).
#[function_component(Term)]
pub fn term_component(props: &TermProps) -> Html {
    let body = if props.children == Html::default() { html! { { props.term } } } else { props.children.clone() };
    term_html(props.term, body)
}

/// The same as [`Term`] as a plain function (no component overhead: used in big lists), for
/// a term shown as `text`.
pub fn term(key: &'static str, text: impl Into<AttrValue>) -> Html {
    term_html(key, html! { { text.into() } })
}

/// [`term`] with any markup as the text shown.
pub fn term_html(key: &'static str, body: Html) -> Html {
    let tip = tooltip(key);
    html! {
        <span class="term" tabindex="0" title={tip.clone()} data-tip={tip} data-term={key}>{ body }</span>
    }
}

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub on_close: Callback<()>,
}

/// Every glossary entry, filterable.
#[function_component(GlossaryDialog)]
pub fn glossary_dialog(props: &DialogProps) -> Html {
    let filter = use_state(String::new);
    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_| on_close.emit(()))
    };
    let needle = filter.to_ascii_lowercase();
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="glossary-title" data-testid="glossary"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="glossary-title">{ "Glossary" }<button class="close" aria-label="Close glossary" onclick={close}>{ "×" }</button></h2>
                <label class="visually-hidden" for="glossary-filter">{ "Filter terms" }</label>
                <input id="glossary-filter" type="search" placeholder="Filter terms…" value={(*filter).clone()} oninput={input_value(set(&filter))} />
                <dl class="glossary">
                    { for TERMS.iter().filter(|e| needle.is_empty() || e.term.to_ascii_lowercase().contains(&needle) || e.meaning.to_ascii_lowercase().contains(&needle)).map(|e| html! {
                        <div class="entry">
                            <dt>{ e.term }</dt>
                            <dd>{ e.meaning }
                                if !e.config.is_empty() { <div class="config">{ "Config: " }<code>{ e.config }</code></div> }
                            </dd>
                        </div>
                    }) }
                </dl>
            </div>
        </div>
    }
}
