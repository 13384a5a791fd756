//! Charts drawn on canvas: lag over time per group, partition ownership over time (one lane
//! per partition coloured by owner — an eager rebalance's gap shows as a blank), and delivery
//! counters (processed, duplicates, lost) over time. Data: the model's bounded samples and the
//! engine's ownership timeline.
//!
//! The drawing is a small hand-written plotter (caption, grid, axes, tick labels, lines, legend,
//! lanes) straight on `CanvasRenderingContext2d`: a charting library compiled into the wasm
//! cost about 19 KB gzip for these three charts.

use super::{option, select_value, set, use_keyed_effect, EffectKey, ViewContext};
use crate::model::Sample;
use grouplab_engine::{GroupView, OwnershipView};
use wasm_bindgen::JsCast;
use web_sys::CanvasRenderingContext2d;
use yew::prelude::*;

/// An RGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// CSS `rgba()` of this colour at `alpha`.
    pub fn css(self, alpha: f64) -> String {
        format!("rgba({},{},{},{alpha})", self.0, self.1, self.2)
    }
}

/// Okabe–Ito, in the order of the CSS variables `--c0`…`--c7`.
pub const PALETTE: [Rgb; 8] = [
    Rgb(0, 114, 178),
    Rgb(230, 159, 0),
    Rgb(0, 158, 115),
    Rgb(204, 121, 167),
    Rgb(86, 180, 233),
    Rgb(213, 94, 0),
    Rgb(240, 228, 66),
    Rgb(0, 0, 0),
];

/// Lanes drawn at most in the ownership chart.
pub const MAX_LANES: usize = 24;

/// One owned interval of a lane: (from ms, to ms, owner index among the group's consumers).
pub fn lane_intervals(lane: &OwnershipView, group: &GroupView, now_ms: u64) -> Vec<(u64, u64, usize)> {
    let mut out = Vec::new();
    for (i, c) in lane.changes.iter().enumerate() {
        let end = lane.changes.get(i + 1).map_or(now_ms, |n| n.at_ms);
        if let Some(owner) = &c.owner {
            let idx = group.consumers.iter().position(|x| &x.client_id == owner).unwrap_or(7);
            if end > c.at_ms {
                out.push((c.at_ms, end, idx));
            }
        }
    }
    out
}

/// Background and text colours of the current theme.
struct Theme {
    bg: Rgb,
    fg: Rgb,
}

fn theme() -> Theme {
    let dark = gloo::utils::document().document_element().and_then(|e| e.get_attribute("data-theme")).as_deref() == Some("dark");
    if dark {
        Theme { bg: Rgb(27, 32, 41), fg: Rgb(231, 234, 240) }
    } else {
        Theme { bg: Rgb(255, 255, 255), fg: Rgb(29, 35, 48) }
    }
}

/// A named line: (legend, colour, points).
pub type Line = (String, Rgb, Vec<(f64, f64)>);

/// Space around the chart, in pixels.
const MARGIN: f64 = 6.0;
/// Height of the caption line and of the x tick labels.
const TEXT_ROW: f64 = 22.0;
/// Font of captions, labels and legends.
const FONT: &str = "12px sans-serif";

/// Round tick values covering `lo..=hi`, about `n` of them: steps of 1, 2 or 5 × 10^k.
/// Returns the step and the values.
pub fn ticks(lo: f64, hi: f64, n: usize) -> (f64, Vec<f64>) {
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        return (1.0, vec![lo]);
    }
    let rough = span / n.max(1) as f64;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (step, (first..=last).map(|i| i as f64 * step).collect())
}

/// A tick label with as many decimals as the step needs.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{value:.decimals$}")
}

/// One chart on a canvas: its context, colours, plot area (pixels) and value ranges.
struct Plot {
    ctx: CanvasRenderingContext2d,
    theme: Theme,
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    x: (f64, f64),
    y: (f64, f64),
}

impl Plot {
    /// Clears the canvas `id`, writes `caption` on top and lays out the plot area, with `y_labels`
    /// pixels on the left for the y tick labels. `None` when the canvas is not in the page.
    fn new(id: &str, caption: &str, y_labels: f64, x: (f64, f64), y: (f64, f64)) -> Option<Plot> {
        let canvas: web_sys::HtmlCanvasElement = gloo::utils::document().get_element_by_id(id)?.dyn_into().ok()?;
        let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        let (width, height) = (f64::from(canvas.width()), f64::from(canvas.height()));
        let theme = theme();
        ctx.set_fill_style_str(&theme.bg.css(1.0));
        ctx.fill_rect(0.0, 0.0, width, height);
        ctx.set_font(FONT);
        ctx.set_text_baseline("middle");
        let plot = Plot { ctx, theme, left: MARGIN + y_labels, top: MARGIN + TEXT_ROW, right: width - MARGIN, bottom: height - MARGIN - TEXT_ROW, x, y };
        plot.text(caption, width / 2.0, MARGIN + TEXT_ROW / 2.0, "center");
        Some(plot)
    }

    /// Pixel column of the value `x`.
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left)
    }

    /// Pixel row of the value `y` (upwards).
    fn py(&self, y: f64) -> f64 {
        self.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * (self.bottom - self.top)
    }

    fn text(&self, text: &str, x: f64, y: f64, align: &str) {
        self.ctx.set_fill_style_str(&self.theme.fg.css(1.0));
        self.ctx.set_text_align(align);
        let _ = self.ctx.fill_text(text, x, y);
    }

    /// A straight line from (x0, y0) to (x1, y1), in pixels.
    fn segment(&self, x0: f64, y0: f64, x1: f64, y1: f64, colour: &str, width: f64) {
        self.ctx.set_stroke_style_str(colour);
        self.ctx.set_line_width(width);
        self.ctx.begin_path();
        self.ctx.move_to(x0, y0);
        self.ctx.line_to(x1, y1);
        self.ctx.stroke();
    }

    /// Vertical grid lines and x tick labels (about ten), light lines between them, and the axes.
    /// With `y_grid`, horizontal grid lines and y tick labels too (formatted `{:.0}`).
    fn mesh(&self, y_grid: bool) {
        let fg = self.theme.fg;
        let (light, bold) = (fg.css(0.06), fg.css(0.12));
        let (step, xs) = ticks(self.x.0, self.x.1, 10);
        for x in ticks(self.x.0, self.x.1, 50).1 {
            self.segment(self.px(x), self.top, self.px(x), self.bottom, &light, 1.0);
        }
        for x in xs {
            let p = self.px(x);
            self.segment(p, self.top, p, self.bottom, &bold, 1.0);
            self.text(&tick_label(x, step), p, self.bottom + TEXT_ROW / 2.0, "center");
        }
        if y_grid {
            for y in ticks(self.y.0, self.y.1, 50).1 {
                self.segment(self.left, self.py(y), self.right, self.py(y), &light, 1.0);
            }
            for y in ticks(self.y.0, self.y.1, 10).1 {
                let p = self.py(y);
                self.segment(self.left, p, self.right, p, &bold, 1.0);
                self.text(&format!("{y:.0}"), self.left - 4.0, p, "right");
            }
        }
        let axis = fg.css(0.5);
        self.segment(self.left, self.top, self.left, self.bottom, &axis, 1.0);
        self.segment(self.left, self.bottom, self.right, self.bottom, &axis, 1.0);
    }
}

/// A line chart of `series` from the earliest point to `x_end` (seconds), y from 0, with a
/// legend on the right.
fn draw_lines(canvas: &str, title: &str, series: &[Line], x_end: f64) {
    let y_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(1.0f64, f64::max) * 1.1;
    let x_start = series.iter().flat_map(|s| s.2.first().map(|p| p.0)).fold(x_end, f64::min);
    let Some(plot) = Plot::new(canvas, title, 44.0, (x_start, x_end.max(x_start + 1.0)), (0.0, y_max)) else { return };
    plot.mesh(true);
    // Lines stay inside the plot area (a sample later than `x_end` is cut off).
    plot.ctx.save();
    plot.ctx.begin_path();
    plot.ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top);
    plot.ctx.clip();
    for (_, colour, points) in series {
        let Some(((x0, y0), rest)) = points.split_first() else { continue };
        plot.ctx.set_stroke_style_str(&colour.css(1.0));
        plot.ctx.set_line_width(2.0);
        plot.ctx.begin_path();
        plot.ctx.move_to(plot.px(*x0), plot.py(*y0));
        for (x, y) in rest {
            plot.ctx.line_to(plot.px(*x), plot.py(*y));
        }
        plot.ctx.stroke();
    }
    plot.ctx.restore();
    if series.is_empty() {
        return;
    }
    // The legend: a box at the middle right, one row per line (sample stroke, then its name).
    let row = 14.0;
    let chars = series.iter().map(|s| s.0.chars().count()).max().unwrap_or(0) as f64;
    let (w, h) = (chars * 7.0 + 50.0, series.len() as f64 * row + 12.0);
    let (x, y) = (plot.right - w - 10.0, (plot.top + plot.bottom - h) / 2.0);
    plot.ctx.set_fill_style_str(&plot.theme.bg.css(0.8));
    plot.ctx.fill_rect(x, y, w, h);
    plot.ctx.set_stroke_style_str(&plot.theme.fg.css(0.3));
    plot.ctx.set_line_width(1.0);
    plot.ctx.stroke_rect(x, y, w, h);
    for (i, (name, colour, _)) in series.iter().enumerate() {
        let ry = y + 6.0 + row * (i as f64 + 0.5);
        plot.segment(x + 10.0, ry, x + 24.0, ry, &colour.css(1.0), 2.0);
        plot.text(name, x + 40.0, ry, "left");
    }
}

/// One lane per partition (at most [`MAX_LANES`]), a bar in the owner's colour for each owned
/// interval, time in seconds up to `now_ms`.
fn draw_ownership(canvas: &str, group: &GroupView, now_ms: u64) {
    let lanes: Vec<&OwnershipView> = group.ownership.iter().take(MAX_LANES).collect();
    let x_start = lanes.iter().filter_map(|l| l.changes.first().map(|c| c.at_ms)).min().unwrap_or(0) as f64 / 1000.0;
    let x_end = (now_ms as f64 / 1000.0).max(x_start + 1.0);
    let n = lanes.len().max(1) as f64;
    let caption = format!("Partition ownership in {} (blank = no owner)", group.group_id);
    let Some(plot) = Plot::new(canvas, &caption, 70.0, (x_start, x_end), (0.0, n)) else { return };
    plot.mesh(false);
    for (i, lane) in lanes.iter().enumerate() {
        let (y0, y1) = (plot.py(i as f64 + 0.15), plot.py(i as f64 + 0.85));
        for (a, b, idx) in lane_intervals(lane, group, now_ms) {
            let (x0, x1) = (plot.px(a as f64 / 1000.0), plot.px(b as f64 / 1000.0));
            plot.ctx.set_fill_style_str(&PALETTE[idx % 8].css(1.0));
            plot.ctx.fill_rect(x0, y1, x1 - x0, y0 - y1);
        }
        plot.text(&format!("{}-{}", lane.topic, lane.partition), plot.left - 4.0, plot.py(i as f64 + 0.5), "right");
    }
}

fn series_of(samples: &[Sample], group: &str, pick: fn(&crate::model::GroupSample) -> u64) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|s| s.groups.iter().find(|g| g.group_id == group).map(|g| (s.at_ms as f64 / 1000.0, pick(g) as f64)))
        .collect()
}

fn partition_series(samples: &[Sample], group: &str, index: usize) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter_map(|s| {
            let g = s.groups.iter().find(|g| g.group_id == group)?;
            g.partition_lag.get(index).map(|l| (s.at_ms as f64 / 1000.0, *l as f64))
        })
        .collect()
}

#[function_component(ChartsPanel)]
pub fn charts_panel() -> Html {
    let ctx = use_context::<ViewContext>().expect("view context");
    let state = ctx.state.clone();
    let picked = use_state(String::new);
    let per_partition = use_state(|| false);
    let view = ctx.view.clone();
    let group_id = if picked.is_empty() { view.groups.first().map(|g| g.group_id.clone()).unwrap_or_default() } else { (*picked).clone() };
    let (sample_count, now) = {
        let lab = state.lab.borrow();
        (lab.samples.len(), lab.now_ms())
    };
    {
        let state = state.clone();
        let view = view.clone();
        let group_id = group_id.clone();
        let last_draw = use_mut_ref(|| f64::NEG_INFINITY);
        let playing = state.lab.borrow().playing;
        let per_partition = *per_partition;
        let key = format!("{sample_count} {} {} {playing} {per_partition} {group_id}", now / 250, view.groups.len());
        use_keyed_effect(EffectKey::Key(key), Box::new(move || {
            // While playing, charts redraw at most every 400 ms of real time.
            let real = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
            if playing && real - *last_draw.borrow() < 400.0 {
                return Box::new(|| ());
            }
            *last_draw.borrow_mut() = real;
            let lab = state.lab.borrow();
            let x_end = lab.now_ms() as f64 / 1000.0;
            if per_partition {
                let names: Vec<String> = view
                    .groups
                    .iter()
                    .find(|g| g.group_id == group_id)
                    .map(|g| g.lag.iter().take(crate::model::SAMPLED_PARTITIONS).map(|r| format!("{}-{}", r.topic, r.partition)).collect())
                    .unwrap_or_default();
                let lines: Vec<_> = names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (name.clone(), PALETTE[i % 8], partition_series(&lab.samples, &group_id, i)))
                    .collect();
                draw_lines("chart-lag", &format!("Lag per partition in {group_id} (HW − committed)"), &lines, x_end);
            } else {
                let lag: Vec<_> = view
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (g.group_id.clone(), PALETTE[i % 8], series_of(&lab.samples, &g.group_id, |s| s.lag)))
                    .collect();
                draw_lines("chart-lag", "Lag per group (Σ HW − committed)", &lag, x_end);
            }
            let delivery = vec![
                ("processed".to_string(), PALETTE[0], series_of(&lab.samples, &group_id, |s| s.processed)),
                ("duplicates".to_string(), PALETTE[1], series_of(&lab.samples, &group_id, |s| s.duplicates)),
                ("lost".to_string(), PALETTE[5], series_of(&lab.samples, &group_id, |s| s.losses)),
            ];
            draw_lines("chart-delivery", &format!("Delivery in {group_id}"), &delivery, x_end);
            if let Some(g) = view.groups.iter().find(|g| g.group_id == group_id) {
                draw_ownership("chart-ownership", g, view.now_ms);
            }
            Box::new(|| ())
        }));
    }
    let toggle_partitions = {
        let per_partition = per_partition.clone();
        Callback::from(move |e: Event| per_partition.set(e.target_unchecked_into::<web_sys::HtmlInputElement>().checked()))
    };
    let group = view.groups.iter().find(|g| g.group_id == group_id);
    let gaps = group.map_or(0, |g| g.ownership.iter().filter(|o| o.gap_ms > 0).count());
    let gap_total: u64 = group.map_or(0, |g| g.ownership.iter().map(|o| o.gap_ms).sum());
    html! {
        <section class="panel" aria-labelledby="charts-title" data-testid="charts">
            <h2 id="charts-title">{ "Over time" }
                <label class="small muted">{ "group " }
                    <select onchange={select_value(set(&picked))} aria-label="Group shown in the charts">
                        { for view.groups.iter().map(|g| option(&g.group_id, &g.group_id, g.group_id == group_id)) }
                    </select>
                </label>
                <label class="small muted"><input type="checkbox" checked={*per_partition} onchange={toggle_partitions} data-testid="lag-per-partition" />{ " lag per partition" }</label>
            </h2>
            <canvas id="chart-lag" width="560" height="170" role="img" aria-label="Lag per group over time"></canvas>
            <canvas id="chart-ownership" width="560" height="200" role="img" aria-label="Partition ownership over time: one lane per partition coloured by owner"></canvas>
            <p class="small muted" data-testid="ownership-gap" data-gaps={gaps.to_string()} data-gap-ms={gap_total.to_string()}>
                { format!("{gaps} partitions had a time without owner between two owners (total {:.1} s)", gap_total as f64 / 1000.0) }
            </p>
            <canvas id="chart-delivery" width="560" height="170" role="img" aria-label="Processed, duplicate and lost records over time"></canvas>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0, 10), (1.0, (0..=10).map(f64::from).collect::<Vec<_>>()));
        let (step, xs) = ticks(3.2, 47.9, 10);
        assert_eq!(step, 5.0);
        assert_eq!(xs, vec![5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0]);
        let (step, xs) = ticks(0.0, 0.55, 10);
        assert!((step - 0.1).abs() < 1e-12, "{step}");
        assert_eq!(xs.len(), 6);
        assert_eq!(ticks(2.0, 2.0, 10), (1.0, vec![2.0]), "an empty range has one tick");
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick_label(40.0, 5.0), "40");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
    }
}
