//! GroupLab's web app: a Yew UI over the deterministic [`grouplab_engine`].
//!
//! The UI changes the simulation only through engine commands (see [`actions`]) and renders
//! plain-data views of it; [`model`] holds the simulation and knows nothing of Yew.

pub mod actions;
pub mod app;
pub mod components;
pub mod glossary;
pub mod model;
pub mod persist;
pub mod shortcuts;
pub mod state;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
