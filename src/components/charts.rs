//! Charts drawn with plotters on canvas: lag over time per group, partition ownership over time
//! (one lane per partition coloured by owner — an eager rebalance's gap shows as a blank), and
//! delivery counters (processed, duplicates, lost) over time. Data: the model's bounded samples
//! and the engine's ownership timeline.

use super::{option, select_value, set, use_keyed_effect, EffectKey, ViewContext};
use crate::model::Sample;
use crate::state::LabContext;
use grouplab_engine::{GroupView, OwnershipView};
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

/// Okabe–Ito, in the order of the CSS variables `--c0`…`--c7`.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
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

struct Theme {
    bg: RGBColor,
    fg: RGBColor,
}

fn theme() -> Theme {
    let dark = gloo::utils::document().document_element().and_then(|e| e.get_attribute("data-theme")).as_deref() == Some("dark");
    if dark {
        Theme { bg: RGBColor(27, 32, 41), fg: RGBColor(231, 234, 240) }
    } else {
        Theme { bg: RGBColor(255, 255, 255), fg: RGBColor(29, 35, 48) }
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// A named line: (legend, colour, points).
pub type Line = (String, RGBColor, Vec<(f64, f64)>);

fn draw_lines(canvas: &str, title: &str, series: &[Line], x_end: f64) -> DrawResult {
    let Some(backend) = CanvasBackend::new(canvas) else { return Ok(()) };
    let t = theme();
    let root = backend.into_drawing_area();
    root.fill(&t.bg)?;
    let y_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(1.0f64, f64::max) * 1.1;
    let x_start = series.iter().flat_map(|s| s.2.first().map(|p| p.0)).fold(x_end, f64::min);
    let font = ("sans-serif", 12).into_font().color(&t.fg);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, font.clone())
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(44)
        .build_cartesian_2d(x_start..x_end.max(x_start + 1.0), 0f64..y_max)?;
    chart
        .configure_mesh()
        .label_style(font.clone())
        .axis_style(t.fg.mix(0.5))
        .light_line_style(t.fg.mix(0.06))
        .bold_line_style(t.fg.mix(0.12))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (name, colour, points) in series {
        let c = *colour;
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
    }
    if !series.is_empty() {
        chart.configure_series_labels().label_font(font).background_style(t.bg.mix(0.8)).border_style(t.fg.mix(0.3)).draw()?;
    }
    root.present()?;
    Ok(())
}

fn draw_ownership(canvas: &str, group: &GroupView, now_ms: u64) -> DrawResult {
    let Some(backend) = CanvasBackend::new(canvas) else { return Ok(()) };
    let t = theme();
    let root = backend.into_drawing_area();
    root.fill(&t.bg)?;
    let lanes: Vec<&OwnershipView> = group.ownership.iter().take(MAX_LANES).collect();
    let x_start = lanes.iter().filter_map(|l| l.changes.first().map(|c| c.at_ms)).min().unwrap_or(0) as f64 / 1000.0;
    let x_end = (now_ms as f64 / 1000.0).max(x_start + 1.0);
    let font = ("sans-serif", 12).into_font().color(&t.fg);
    let n = lanes.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Partition ownership in {} (blank = no owner)", group.group_id), font.clone())
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(70)
        .build_cartesian_2d(x_start..x_end, 0f64..n)?;
    let names: Vec<String> = lanes.iter().map(|l| format!("{}-{}", l.topic, l.partition)).collect();
    chart
        .configure_mesh()
        .label_style(font.clone())
        .axis_style(t.fg.mix(0.5))
        .disable_y_mesh()
        .light_line_style(t.fg.mix(0.06))
        .bold_line_style(t.fg.mix(0.12))
        .y_labels(lanes.len().max(1))
        .y_label_formatter(&|y| names.get(*y as usize).cloned().unwrap_or_default())
        .draw()?;
    for (i, lane) in lanes.iter().enumerate() {
        let y0 = i as f64 + 0.15;
        let y1 = i as f64 + 0.85;
        chart.draw_series(lane_intervals(lane, group, now_ms).into_iter().map(|(a, b, idx)| {
            Rectangle::new([(a as f64 / 1000.0, y0), (b as f64 / 1000.0, y1)], PALETTE[idx % 8].filled())
        }))?;
    }
    root.present()?;
    Ok(())
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
    let state = use_context::<LabContext>().expect("lab context");
    let ctx = use_context::<ViewContext>().expect("view context");
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
                let _ = draw_lines("chart-lag", &format!("Lag per partition in {group_id} (HW − committed)"), &lines, x_end);
            } else {
                let lag: Vec<_> = view
                    .groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (g.group_id.clone(), PALETTE[i % 8], series_of(&lab.samples, &g.group_id, |s| s.lag)))
                    .collect();
                let _ = draw_lines("chart-lag", "Lag per group (Σ HW − committed)", &lag, x_end);
            }
            let delivery = vec![
                ("processed".to_string(), PALETTE[0], series_of(&lab.samples, &group_id, |s| s.processed)),
                ("duplicates".to_string(), PALETTE[1], series_of(&lab.samples, &group_id, |s| s.duplicates)),
                ("lost".to_string(), PALETTE[5], series_of(&lab.samples, &group_id, |s| s.losses)),
            ];
            let _ = draw_lines("chart-delivery", &format!("Delivery in {group_id}"), &delivery, x_end);
            if let Some(g) = view.groups.iter().find(|g| g.group_id == group_id) {
                let _ = draw_ownership("chart-ownership", g, view.now_ms);
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
