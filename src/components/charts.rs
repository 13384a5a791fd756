//! Charts drawn on canvas: lag over time per group, partition ownership over time (one lane
//! per partition coloured by owner — an eager rebalance's gap shows as a blank), and delivery
//! counters (processed, duplicates, lost) over time. Data: the model's bounded samples and the
//! engine's ownership timeline.
//!
//! The charts are drawn by `plotters` on its `plotters-canvas` backend, through the drawing
//! area's primitives (paths, rectangles, text). The chart layout — caption, grid, axes, tick
//! labels, legend, lanes — is this module's own [`Plot`] rather than plotters' `ChartBuilder`
//! and mesh: those generic layers cost about 16 KB gzip of wasm for these three charts.

use super::{option, select_value, set, use_keyed_effect, EffectKey, ViewContext};
use crate::model::Sample;
use crate::state::Action;
use grouplab_engine::{GroupView, OwnershipView};
use plotters::coord::Shift;
use plotters::prelude::{Color, DrawingArea, FontDesc, FontFamily, FontStyle, IntoDrawingArea, PathElement, RGBColor, Rectangle, ShapeStyle, Text, TextStyle};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

/// An RGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// A plotters shape style of this colour at `alpha`: filled, or stroked `width` pixels wide.
    fn style(self, alpha: f64, filled: bool, width: u32) -> ShapeStyle {
        ShapeStyle { color: RGBColor(self.0, self.1, self.2).mix(alpha), filled, stroke_width: width }
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

/// [`ticks`] with a step of at least `min_step` (counts tick by whole numbers: an empty chart's
/// axis reads 0 1, not 0 0 0 1 1 1).
pub fn ticks_at_least(lo: f64, hi: f64, n: usize, min_step: f64) -> (f64, Vec<f64>) {
    let (step, values) = ticks(lo, hi, n);
    if step >= min_step || hi <= lo {
        return (step, values);
    }
    let (first, last) = ((lo / min_step).ceil() as i64, (hi / min_step + 1e-9).floor() as i64);
    (min_step, (first..=last).map(|i| i as f64 * min_step).collect())
}

/// A tick label with as many decimals as the step needs.
pub fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{value:.decimals$}")
}

/// One chart on a canvas: its plotters drawing area, colours, plot area (pixels) and value ranges.
struct Plot {
    area: DrawingArea<CanvasBackend, Shift>,
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
        let area = CanvasBackend::new(id)?.into_drawing_area();
        let (width, height) = area.dim_in_pixel();
        let (width, height) = (f64::from(width), f64::from(height));
        let theme = theme();
        area.fill(&RGBColor(theme.bg.0, theme.bg.1, theme.bg.2)).ok()?;
        let plot = Plot { area, theme, left: MARGIN + y_labels, top: MARGIN + TEXT_ROW, right: width - MARGIN, bottom: height - MARGIN - TEXT_ROW, x, y };
        plot.text(caption, width / 2.0, MARGIN + TEXT_ROW / 2.0, HPos::Center);
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

    /// `text` in 12 px sans-serif, vertically centred on `y`, aligned on `x` as `align` says.
    fn text(&self, text: &str, x: f64, y: f64, align: HPos) {
        let fg = self.theme.fg;
        let colour = RGBColor(fg.0, fg.1, fg.2);
        let style = TextStyle::from(FontDesc::new(FontFamily::SansSerif, 12.0, FontStyle::Normal))
            .color(&colour)
            .pos(Pos::new(align, VPos::Center));
        let _ = self.area.draw(&Text::new(text, (x as i32, y as i32), style));
    }

    /// A polyline through `points` (pixels).
    fn path(&self, points: Vec<(i32, i32)>, style: ShapeStyle) {
        let _ = self.area.draw(&PathElement::new(points, style));
    }

    /// A straight line from (x0, y0) to (x1, y1), in pixels.
    fn segment(&self, x0: f64, y0: f64, x1: f64, y1: f64, style: ShapeStyle) {
        self.path(vec![(x0 as i32, y0 as i32), (x1 as i32, y1 as i32)], style);
    }

    /// A rectangle between two corners (pixels).
    fn rect(&self, x0: f64, y0: f64, x1: f64, y1: f64, style: ShapeStyle) {
        let _ = self.area.draw(&Rectangle::new([(x0 as i32, y0 as i32), (x1 as i32, y1 as i32)], style));
    }

/// Vertical grid lines and x tick labels (about ten), light lines between them, and the axes.
    /// With `y_grid`, horizontal grid lines and y tick labels too, ticking by at least
    /// `y_min_step` (1 for counts).
    fn mesh(&self, y_grid: bool, y_min_step: f64) {
        let fg = self.theme.fg;
        let (light, bold) = (fg.style(0.06, false, 1), fg.style(0.12, false, 1));
        let (step, xs) = ticks(self.x.0, self.x.1, 10);
        for x in ticks(self.x.0, self.x.1, 50).1 {
            self.segment(self.px(x), self.top, self.px(x), self.bottom, light);
        }
        for x in xs {
            let p = self.px(x);
            self.segment(p, self.top, p, self.bottom, bold);
            self.text(&tick_label(x, step), p, self.bottom + TEXT_ROW / 2.0, HPos::Center);
        }
        if y_grid {
            for y in ticks_at_least(self.y.0, self.y.1, 50, y_min_step).1 {
                self.segment(self.left, self.py(y), self.right, self.py(y), light);
            }
            let (step, ys) = ticks_at_least(self.y.0, self.y.1, 10, y_min_step);
            for y in ys {
                let p = self.py(y);
                self.segment(self.left, p, self.right, p, bold);
                self.text(&tick_label(y, step), self.left - 4.0, p, HPos::Right);
            }
        }
        let axis = fg.style(0.5, false, 1);
        self.segment(self.left, self.top, self.left, self.bottom, axis);
        self.segment(self.left, self.bottom, self.right, self.bottom, axis);
    }
}

/// A line chart of `series` from the earliest point to `x_end` (seconds), y from 0, with a
/// legend on the right.
fn draw_lines(canvas: &str, title: &str, series: &[Line], x_end: f64, y_min_step: f64) {
    let y_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(1.0f64, f64::max) * 1.1;
    let x_start = series.iter().flat_map(|s| s.2.first().map(|p| p.0)).fold(x_end, f64::min);
    let Some(plot) = Plot::new(canvas, title, 44.0, (x_start, x_end.max(x_start + 1.0)), (0.0, y_max)) else { return };
    plot.mesh(true, y_min_step);
    // Lines stay inside the plot area: a sample later than the end is cut at the end.
    let x_max = plot.x.1;
    for (_, colour, points) in series {
        let mut pixels = Vec::with_capacity(points.len());
        let mut last: Option<(f64, f64)> = None;
        for &(x, y) in points {
            if x > x_max {
                if let Some((lx, ly)) = last {
                    let cut = ly + (y - ly) * (x_max - lx) / (x - lx);
                    pixels.push((plot.px(x_max) as i32, plot.py(cut) as i32));
                }
                break;
            }
            pixels.push((plot.px(x) as i32, plot.py(y) as i32));
            last = Some((x, y));
        }
        plot.path(pixels, colour.style(1.0, false, 2));
    }
    if series.is_empty() {
        return;
    }
    // The legend: a box at the middle right, one row per line (sample stroke, then its name).
    let row = 14.0;
    let chars = series.iter().map(|s| s.0.chars().count()).max().unwrap_or(0) as f64;
    let (w, h) = (chars * 7.0 + 50.0, series.len() as f64 * row + 12.0);
    let (x, y) = (plot.right - w - 10.0, (plot.top + plot.bottom - h) / 2.0);
    plot.rect(x, y, x + w, y + h, plot.theme.bg.style(0.8, true, 0));
    plot.rect(x, y, x + w, y + h, plot.theme.fg.style(0.3, false, 1));
    for (i, (name, colour, _)) in series.iter().enumerate() {
        let ry = y + 6.0 + row * (i as f64 + 0.5);
        plot.segment(x + 10.0, ry, x + 24.0, ry, colour.style(1.0, false, 2));
        plot.text(name, x + 40.0, ry, HPos::Left);
    }
    let _ = plot.area.present();
}

/// Left margin of the ownership chart (its lane labels).
const OWNERSHIP_LABELS: f64 = 70.0;

/// The time axis of the ownership chart (seconds): from the first change to now.
fn ownership_range(group: &GroupView, now_ms: u64) -> (f64, f64) {
    let x_start = group.ownership.iter().take(MAX_LANES).filter_map(|l| l.changes.first().map(|c| c.at_ms)).min().unwrap_or(0) as f64 / 1000.0;
    (x_start, (now_ms as f64 / 1000.0).max(x_start + 1.0))
}

/// The simulated time (ms) under pixel column `px` of a chart `width` pixels wide whose plot
/// starts `labels` pixels in and spans `range` seconds; `None` outside the plot.
pub fn time_at(px: f64, width: f64, labels: f64, range: (f64, f64)) -> Option<u64> {
    let (left, right) = (MARGIN + labels, width - MARGIN);
    if px < left || px > right || right <= left {
        return None;
    }
    Some(((range.0 + (px - left) / (right - left) * (range.1 - range.0)) * 1000.0).round() as u64)
}

/// One lane per partition (at most [`MAX_LANES`]), a bar in the owner's colour for each owned
/// interval, time in seconds up to `now_ms`.
fn draw_ownership(canvas: &str, group: &GroupView, now_ms: u64) {
    let lanes: Vec<&OwnershipView> = group.ownership.iter().take(MAX_LANES).collect();
    let (x_start, x_end) = ownership_range(group, now_ms);
    let n = lanes.len().max(1) as f64;
    let caption = format!("Partition ownership in {} (blank = no owner)", group.group_id);
    let Some(plot) = Plot::new(canvas, &caption, OWNERSHIP_LABELS, (x_start, x_end), (0.0, n)) else { return };
    plot.mesh(false, 1.0);
    for (i, lane) in lanes.iter().enumerate() {
        let (y0, y1) = (plot.py(i as f64 + 0.15), plot.py(i as f64 + 0.85));
        for (a, b, idx) in lane_intervals(lane, group, now_ms) {
            let (x0, x1) = (plot.px(a as f64 / 1000.0), plot.px(b as f64 / 1000.0));
            plot.rect(x0, y1, x1, y0, PALETTE[idx % 8].style(1.0, true, 0));
        }
        plot.text(&format!("{}-{}", lane.topic, lane.partition), plot.left - 4.0, plot.py(i as f64 + 0.5), HPos::Right);
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
                draw_lines("chart-lag", &format!("Lag per partition in {group_id} (HW − committed)"), &lines, x_end, 1.0);
            } else {
                let lag: Vec<_> = view
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (g.group_id.clone(), PALETTE[i % 8], series_of(&lab.samples, &g.group_id, |s| s.lag)))
                    .collect();
                draw_lines("chart-lag", "Lag per group (Σ HW − committed)", &lag, x_end, 1.0);
            }
            let seconds: Vec<_> = view
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let points = lab.samples.iter().filter_map(|s| s.groups.iter().find(|x| x.group_id == g.group_id).map(|x| (s.at_ms as f64 / 1000.0, x.max_lag_ms as f64 / 1000.0)));
                    (g.group_id.clone(), PALETTE[i % 8], points.collect())
                })
                .collect();
            draw_lines("chart-lag-seconds", "Lag in seconds per group (how long the oldest unconsumed record has waited)", &seconds, x_end, 0.0);
            let delivery = vec![
                ("processed".to_string(), PALETTE[0], series_of(&lab.samples, &group_id, |s| s.processed)),
                ("duplicates".to_string(), PALETTE[1], series_of(&lab.samples, &group_id, |s| s.duplicates)),
                ("lost".to_string(), PALETTE[5], series_of(&lab.samples, &group_id, |s| s.losses)),
            ];
            draw_lines("chart-delivery", &format!("Delivery in {group_id}"), &delivery, x_end, 1.0);
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
    let open_rebalance = {
        let (state, view, group_id) = (state.clone(), view.clone(), group_id.clone());
        Callback::from(move |e: MouseEvent| {
            let canvas = e.target_unchecked_into::<web_sys::HtmlCanvasElement>();
            let Some(g) = view.groups.iter().find(|g| g.group_id == group_id) else { return };
            let scale = f64::from(canvas.width()) / f64::from(canvas.client_width().max(1));
            let px = f64::from(e.offset_x()) * scale;
            if let Some(at) = time_at(px, f64::from(canvas.width()), OWNERSHIP_LABELS, ownership_range(g, view.now_ms)) {
                let window = state.lab.borrow().rebalance_window(&group_id, at);
                state.dispatch(Action::OpenSequence(Some(window)));
            }
        })
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
            <canvas id="chart-lag-seconds" width="560" height="150" role="img" aria-label="Lag in seconds per group over time" data-testid="chart-lag-seconds"></canvas>
            <canvas id="chart-ownership" width="560" height="200" role="img" aria-label="Partition ownership over time: one lane per partition coloured by owner; click a rebalance to see its messages"
                title="Click a rebalance (a gap or a change of colour) to open its sequence diagram" data-testid="chart-ownership" onclick={open_rebalance}></canvas>
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
        assert_eq!(time_at(MARGIN + 70.0, 560.0, 70.0, (10.0, 20.0)), Some(10_000));
        assert_eq!(time_at(560.0 - MARGIN, 560.0, 70.0, (10.0, 20.0)), Some(20_000));
        assert_eq!(time_at(5.0, 560.0, 70.0, (10.0, 20.0)), None, "on the labels");
        let (step, ys) = ticks_at_least(0.0, 1.1, 10, 1.0);
        let labels: Vec<String> = ys.iter().map(|y| tick_label(*y, step)).collect();
        assert_eq!(labels, ["0", "1"], "an empty count chart: no repeated rounded labels");
        assert_eq!(ticks_at_least(0.0, 100.0, 10, 1.0), ticks(0.0, 100.0, 10), "a wide range keeps its round steps");
        assert_eq!(tick_label(40.0, 5.0), "40");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
    }
}
