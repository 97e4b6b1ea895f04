// Patient history charts: one Plotly chart per metric, fetched from the readings API, drawn on the
// patient's wall clock (the API sends `local` times), with threshold bands and alert markers.
// Zooming refetches the visible range so the detail is real readings, not a stretched summary.

const config = JSON.parse(document.getElementById("chart-config").textContent);
const Plotly = window.Plotly;
const HOUR = 3600 * 1000;
const PRESETS = { "24h": 24 * HOUR, "7d": 7 * 24 * HOUR, "30d": 30 * 24 * HOUR, "90d": 90 * 24 * HOUR };
const SEVERITY_FILL = { info: "rgba(91,100,112,0.10)", low: "rgba(91,100,112,0.14)",
  medium: "rgba(179,92,0,0.14)", high: "rgba(176,0,32,0.14)" };
const SEVERITY_LINE = { info: "#5b6470", low: "#5b6470", medium: "#b35c00", high: "#b00020" };
const SERIES_NAMES = { systolic_bp: "Systolic", diastolic_bp: "Diastolic" };
const SERIES_COLOURS = ["#0b5cad", "#6a3fb5"];

let range = { preset: "7d" };

function rangeParams(r) {
  if (r.preset) {
    const end = new Date();
    return { start: new Date(end - PRESETS[r.preset]).toISOString(), end: end.toISOString() };
  }
  return { start: r.start, end: r.end }; // dates or wall-clock times, read by the server in the patient's zone
}

async function fetchSeries(metric, params, maxPoints) {
  const query = new URLSearchParams({ metric, ...params, max_points: String(maxPoints) });
  const response = await fetch(`${config.readings_url}?${query}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`readings ${metric}: ${response.status}`);
  return response.json();
}

function bandShapes(spec, yRange) {
  const [lo, hi] = yRange;
  // on a chart of two series (blood pressure) a shaded band of one would sit over the other: lines only
  const fills = spec.series.length > 1 ? [] : spec.bands;
  return fills.map((band) => {
    const below = band.op === "<" || band.op === "<=";
    const y0 = below ? lo : Math.max(band.value, lo);
    const y1 = below ? Math.min(band.value, hi) : hi;
    return { type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0, y1, layer: "below", line: { width: 0 },
      fillcolor: SEVERITY_FILL[band.severity] || SEVERITY_FILL.low };
  }).concat(spec.bands.map((band) => ({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: band.value,
    y1: band.value, line: { color: SEVERITY_LINE[band.severity] || "#5b6470", width: 1, dash: "dot" } })));
}

function yRangeFor(spec, body) {
  const values = Object.values(body.series).flatMap((s) => s.v);
  const bandValues = spec.bands.map((b) => b.value);
  const all = values.concat(bandValues);
  if (!all.length) return [spec.low, spec.high];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = Math.max((hi - lo) * 0.08, 1);
  return [lo - pad, hi + pad];
}

function traces(spec, body, yRange) {
  const out = Object.entries(body.series).map(([code, s], i) => ({
    x: s.local, y: s.v, name: SERIES_NAMES[code] || spec.title, type: "scatter",
    mode: s.v.length > 300 ? "lines" : "lines+markers", line: { color: SERIES_COLOURS[i % 2], width: 1.5 },
    marker: { size: 4 }, hovertemplate: "%{x|%d %b %H:%M}: %{y}<extra>" + (SERIES_NAMES[code] || "") + "</extra>",
  }));
  const markers = body.alerts || [];
  if (markers.length) {
    out.push({
      x: markers.map((m) => m.local), y: markers.map((m) => m.value ?? yRange[1]), name: "Alerts", type: "scatter", mode: "markers",
      marker: { symbol: "triangle-up", size: 12, color: markers.map((m) => SEVERITY_LINE[m.severity] || "#b00020"),
        line: { color: "#fff", width: 1 } },
      text: markers.map((m) => `${m.severity} alert (${m.state}): ${m.explanation}`),
      hovertemplate: "%{text}<extra></extra>",
    });
  }
  const odd = body.implausible || [];
  if (odd.length) {
    // outside the plausible range: not part of the series or its bands, shown so nobody misses it
    out.push({
      x: odd.map((r) => r.local), y: odd.map((r) => r.value), name: "Implausible (check patient or device)",
      type: "scatter", mode: "markers", marker: { symbol: "x", size: 10, color: "#6a1b9a" },
      text: odd.map((r) => `implausible ${SERIES_NAMES[r.metric] || spec.title} ${r.value}: check the patient or the device`),
      hovertemplate: "%{text}<extra></extra>",
    });
  }
  return out;
}

// Consensus time-in-range limits (Battelino et al., Diabetes Care 2019), as published in each unit
const TIR_LIMITS = { "mg/dL": ["54", "70", "180", "250"], "mmol/L": ["3.0", "3.9", "10.0", "13.9"] };

function showTimeInRange(div, body, spec) {
  const caption = div.closest("figure").querySelector("[data-tir]");
  const tir = body.series.blood_glucose && body.series.blood_glucose.time_in_range;
  if (!caption) return;
  const [veryLow, low, high, veryHigh] = TIR_LIMITS[spec.unit_code] || TIR_LIMITS["mg/dL"];
  caption.textContent = tir
    ? `Time in range ${low}-${high} ${spec.unit} ${tir.in_range} % · below ${low}: ${(tir.low + tir.very_low).toFixed(1)} %` +
      ` (below ${veryLow}: ${tir.very_low} %) · above ${high}: ${(tir.high + tir.very_high).toFixed(1)} %` +
      ` (above ${veryHigh}: ${tir.very_high} %)`
    : "No glucose readings in this range";
}

async function draw(div, spec, params) {
  div.dataset.state = "loading";
  const width = Math.max(div.clientWidth, 300);
  // about two points per horizontal pixel is as much as a chart can show
  const body = await fetchSeries(spec.metric, params, Math.min(1500, width * 2));
  const yRange = yRangeFor(spec, body);
  const layout = {
    margin: { l: 48, r: 12, t: 8, b: 36 }, height: 260, showlegend: Object.keys(body.series).length > 1,
    legend: { orientation: "h", y: 1.12 }, hovermode: "closest",
    xaxis: { type: "date", range: [body.start_local, body.end_local] },
    yaxis: { range: yRange, fixedrange: true, title: { text: spec.unit } },
    shapes: bandShapes(spec, yRange),
  };
  if (div.dataset.plotted) {
    div.dataset.redrawing = "1";
    await Plotly.react(div, traces(spec, body, yRange), layout, { responsive: true, displaylogo: false });
    delete div.dataset.redrawing;
  } else {
    await Plotly.newPlot(div, traces(spec, body, yRange), layout, { responsive: true, displaylogo: false });
    div.dataset.plotted = "1";
    div.on("plotly_relayout", (event) => onZoom(div, spec, event));
  }
  if (spec.metric === "blood_glucose") showTimeInRange(div, body, spec);
  div.dataset.points = String(Object.values(body.series).reduce((n, s) => n + s.v.length, 0));
  div.dataset.rawCount = String(Object.values(body.series).reduce((n, s) => n + s.raw_count, 0));
  div.dataset.state = "ready";
}

function onZoom(div, spec, event) {
  if (div.dataset.redrawing) return;
  if (event["xaxis.autorange"]) {
    draw(div, spec, rangeParams(range));
    return;
  }
  const start = event["xaxis.range[0]"];
  const end = event["xaxis.range[1]"];
  if (start && end) draw(div, spec, { start: String(start), end: String(end) });
}

function updateExportLinks(params) {
  const query = new URLSearchParams(params).toString();
  document.getElementById("export-csv").href = `${config.csv_url}?${query}`;
  document.getElementById("export-fhir").href = `${config.fhir_url}?${query}`;
}

function drawAll() {
  const params = rangeParams(range);
  updateExportLinks(params);
  for (const spec of config.charts) {
    const div = document.querySelector(`[data-chart="${spec.metric}"]`);
    if (div) draw(div, spec, params).catch((error) => { div.dataset.state = "error"; div.textContent = error; });
  }
}

document.querySelectorAll("[data-range]").forEach((button) => {
  button.addEventListener("click", () => {
    if (button.dataset.range === "custom") {
      const start = document.getElementById("range-start").value;
      const end = document.getElementById("range-end").value;
      if (!start || !end) return;
      range = { start, end };
    } else {
      range = { preset: button.dataset.range };
    }
    document.querySelectorAll("[data-range]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    drawAll();
  });
});

drawAll();
