// The live nurse dashboard: census tiles and the alert queue, kept current over the socket.
// Events are queued and applied once per animation frame, and only the tiles they touched are
// redrawn, so a burst of readings costs one repaint.

import { LiveSocket } from "./live-socket.js";

const SEVERITY_RANK = { info: 0, low: 1, medium: 2, high: 3 };
const SPARK_BUCKET_S = 15 * 60;
const NOT_ON_TILES = new Set(["dose_taken"]);  // adherence, not a vital: clinic/dashboard.py NOT_ON_TILES
const DAY_S = 24 * 3600;
const root = document.getElementById("dashboard");
const tilesEl = document.getElementById("tiles");
const queueEl = document.querySelector(".queue");
const openList = document.getElementById("open-alerts");
const ackList = document.getElementById("acknowledged-alerts");
const metricsCatalogue = JSON.parse(document.getElementById("metric-data").textContent);
const csrfToken = document.getElementById("csrf").value;

const tiles = new Map(JSON.parse(document.getElementById("census-data").textContent).map((t) => [t.id, t]));
const alerts = new Map(JSON.parse(document.getElementById("alert-data").textContent).map((a) => [a.id, a]));
const seenReadings = new Set();
const tileEls = new Map();
const pending = [];
let dirty = new Set();
let framePending = false;
let orderDirty = true;
let queueDirty = true;

const escapeHtml = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function ago(iso, now = Date.now()) {
  const s = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function format(value, precision) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(precision);
}

// The most severe band the value falls in: {severity, direction} or null.
function outOfRange(value, bands = []) {
  let worst = null;
  for (const band of bands) {
    const hit = { "<": value < band.value, "<=": value <= band.value, ">": value > band.value,
                  ">=": value >= band.value }[band.op];
    if (hit && (!worst || SEVERITY_RANK[band.severity] > SEVERITY_RANK[worst.severity])) {
      worst = { severity: band.severity, direction: band.op.startsWith("<") ? "low" : "high" };
    }
  }
  return worst;
}

function staleHours(metric, now = Date.now()) {
  const limit = metric.stale_after_hours * 3600_000;
  if (!metric.measured_at) return metric.stale_after_hours;
  const age = now - Date.parse(metric.measured_at);
  return age > limit ? Math.floor(age / 3600_000) : null;
}

function sparkline(points, now = Date.now() / 1000) {
  const recent = points.filter(([t]) => t > now - DAY_S);
  if (recent.length < 2) return '<svg class="spark" viewBox="0 0 100 24" aria-hidden="true"></svg>';
  const values = recent.map(([, v]) => v);
  const lo = Math.min(...values);
  const span = Math.max(...values) - lo || 1;
  const path = recent.map(([t, v], i) =>
    `${i ? "L" : "M"}${(((t - (now - DAY_S)) / DAY_S) * 100).toFixed(1)},${(22 - ((v - lo) / span) * 20).toFixed(1)}`);
  return `<svg class="spark" viewBox="0 0 100 24" preserveAspectRatio="none" aria-hidden="true">` +
    `<path d="${path.join("")}"/></svg>`;
}

function patientAlerts(patientId) {
  return [...alerts.values()].filter((a) => a.patient === patientId && a.state !== "resolved");
}

function highestSeverity(list) {
  return list.reduce((best, a) => (best && SEVERITY_RANK[best] >= SEVERITY_RANK[a.severity] ? best : a.severity), null);
}

function metricHtml(tile, code, m) {
  const stale = staleHours(m);
  const out = m.value === null || m.value === undefined ? null : outOfRange(m.value, m.bands);
  const trend = { up: ["↑", "rising"], down: ["↓", "falling"], steady: ["→", "steady"] }[m.trend] ?? ["", ""];
  const flag = out ? `<span class="flag sev-${out.severity}">${out.direction === "high" ? "▲ High" : "▼ Low"}</span>` : "";
  const when = stale !== null
    ? `<span class="stale-note">no reading for ${stale} h</span>`
    : `<span class="ago">${ago(m.measured_at)}</span>`;
  return `<li class="metric${out ? ` out sev-${out.severity}` : ""}${stale !== null ? " is-stale" : ""}"` +
    ` data-patient="${tile.id}" data-metric="${code}">` +
    `<span class="label">${escapeHtml(m.display)}</span>` +
    `<span class="value"><b>${format(m.value, m.precision)}</b> <span class="unit">${escapeHtml(m.unit)}</span>` +
    (trend[0] ? ` <span class="trend" title="${trend[1]}" aria-label="${trend[1]}">${trend[0]}</span>` : "") +
    `</span>${flag}${sparkline(m.spark)}${when}</li>`;
}

function tileHtml(tile) {
  const open = patientAlerts(tile.id);
  const severity = highestSeverity(open);
  const badge = open.length
    ? `<span class="badge sev-${severity}" data-alert-badge>⚠ ${open.length} alert${open.length > 1 ? "s" : ""} · ${severity}</span>`
    : "";
  const news2 = tile.news2
    ? `<span class="news2 risk-${tile.news2.risk}">NEWS2 ${tile.news2.score} · ${tile.news2.risk}</span>`
    : tile.news2_reason ? `<span class="news2 none" title="${escapeHtml(tile.news2_reason)}" data-news2-reason>NEWS2 –` +
      `<span class="sr-only">: ${escapeHtml(tile.news2_reason)}</span></span>` : "";
  const conditions = tile.conditions.map((c) => escapeHtml(c.label)).join(", ");
  const devices = tile.devices.filter((d) => d.offline || d.low_battery).map((d) =>
    `<li>${escapeHtml(d.kind.replaceAll("_", " "))}: ${[d.offline && "offline", d.low_battery && `battery low (${d.battery} %)`]
      .filter(Boolean).join(", ")}</li>`).join("");
  const metrics = Object.entries(tile.metrics).map(([code, m]) => metricHtml(tile, code, m)).join("");
  return `<header><h3 class="name">${escapeHtml(tile.name)}</h3>${badge}${news2}` +
    `<p class="meta">${tile.age} y · MRN ${escapeHtml(tile.mrn)}${conditions ? ` · ${conditions}` : ""}</p></header>` +
    `<ul class="metrics">${metrics || '<li class="none">No monitored metrics</li>'}</ul>` +
    (devices ? `<ul class="devices" aria-label="Device problems">${devices}</ul>` : "");
}

function riskKey(tile) {
  const severity = highestSeverity(patientAlerts(tile.id));
  const staleCount = Object.values(tile.metrics).filter((m) => staleHours(m) !== null).length;
  return [severity ? SEVERITY_RANK[severity] : -1, tile.news2 ? tile.news2.score : -1, staleCount];
}

function compareTiles(a, b) {
  if (document.getElementById("sort").value === "risk") {
    const [ka, kb] = [riskKey(a), riskKey(b)];
    for (let i = 0; i < ka.length; i += 1) if (ka[i] !== kb[i]) return kb[i] - ka[i];
  }
  return (a.family_name + a.name).localeCompare(b.family_name + b.name);
}

function matchesFilters(tile) {
  const query = document.getElementById("search").value.trim().toLowerCase();
  const condition = document.getElementById("condition-filter").value;
  const alertsOnly = document.getElementById("alerts-only").checked;
  if (query && !tile.name.toLowerCase().includes(query) && !tile.mrn.toLowerCase().includes(query)) return false;
  if (condition && !tile.conditions.some((c) => c.code === condition)) return false;
  return !(alertsOnly && patientAlerts(tile.id).length === 0);
}

function renderTile(tile) {
  let el = tileEls.get(tile.id);
  if (!el) {
    el = document.createElement("li");
    el.className = "tile";
    el.dataset.patient = tile.id;
    el.tabIndex = -1;
    tileEls.set(tile.id, el);
  }
  const severity = highestSeverity(patientAlerts(tile.id));
  el.className = `tile${severity ? ` has-alert sev-${severity}` : ""}`;
  el.innerHTML = tileHtml(tile);
  el.hidden = !matchesFilters(tile);
}

function alertHtml(alert) {
  const tile = tiles.get(alert.patient);
  const name = tile ? tile.name : alert.patient_name;
  const recovered = alert.state === "open" && alert.recovered_at;
  const state = alert.state === "acknowledged"
    ? `<span class="state">Acknowledged${alert.acknowledged_by ? ` by ${escapeHtml(alert.acknowledged_by)}` : ""}</span>`
    : recovered ? `<span class="state recovered" data-recovered>Recovered, not yet reviewed: ${escapeHtml(alert.recovery)}</span>`
    : alert.reopened_at ? `<span class="state reopened" data-reopened>Worse since it was acknowledged</span>` : "";
  return `<div class="alert-head"><span class="sev sev-${alert.severity}">${alert.severity.toUpperCase()}</span>` +
    `<button type="button" class="link" data-focus="${alert.patient}">${escapeHtml(name)}</button>` +
    `<span class="age">${ago(alert.opened_at)}</span></div>` +
    `<p class="explanation">${escapeHtml(alert.explanation)}</p>${state}` +
    `<form class="actions" data-alert-form="${alert.id}">` +
    `<label class="note"><span class="sr-only">Note (optional)</span>` +
    `<input name="note" type="text" placeholder="Note (optional)" maxlength="2000"></label>` +
    (alert.state === "open" ? `<button type="submit" name="action" value="acknowledge">Acknowledge</button>` : "") +
    `<button type="submit" name="action" value="resolve">Resolve</button>` +
    `<span class="error" role="alert"></span></form>`;
}

function alertItem(alert) {
  const li = document.createElement("li");
  li.className = `alert sev-${alert.severity} state-${alert.state}`;
  li.dataset.alert = alert.id;
  li.innerHTML = alertHtml(alert);
  return li;
}

function renderQueue() {
  const list = [...alerts.values()].filter((a) => a.state !== "resolved" && tiles.has(a.patient))
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Date.parse(b.opened_at) - Date.parse(a.opened_at));
  const focused = document.activeElement?.closest?.("[data-alert]")?.dataset.alert;
  // Active alerts first; those that recovered before anyone saw them wait below, still for a person to review.
  const open = list.filter((a) => a.state === "open" && !a.recovered_at)
    .concat(list.filter((a) => a.state === "open" && a.recovered_at));
  const acknowledged = list.filter((a) => a.state === "acknowledged");
  openList.replaceChildren(...open.map(alertItem));
  ackList.replaceChildren(...acknowledged.map(alertItem));
  if (focused) document.querySelector(`.queue [data-alert="${focused}"] button`)?.focus();
  document.getElementById("alert-count").textContent = `(${open.length} open)`;
  document.getElementById("queue-empty").hidden = open.length > 0;
  document.getElementById("ack-title").hidden = acknowledged.length === 0;
}

function render() {
  framePending = false;
  for (const event of pending.splice(0)) apply(event);
  for (const id of dirty) {
    const tile = tiles.get(id);
    if (tile) renderTile(tile);
  }
  if (dirty.size) orderDirty = true;
  dirty = new Set();
  if (orderDirty) {
    const ordered = [...tiles.values()].sort(compareTiles).map((t) => tileEls.get(t.id)).filter(Boolean);
    if (ordered.some((el, i) => tilesEl.children[i] !== el) || tilesEl.children.length !== ordered.length) {
      tilesEl.replaceChildren(...ordered);
    }
    document.getElementById("empty").hidden = ordered.some((el) => !el.hidden);
    orderDirty = false;
  }
  if (queueDirty) {
    renderQueue();
    queueDirty = false;
  }
}

function schedule() {
  if (!framePending) {
    framePending = true;
    requestAnimationFrame(render);
  }
}

function applyReading(event) {
  if (seenReadings.has(event.id)) return;
  seenReadings.add(event.id);
  if (seenReadings.size > 50_000) seenReadings.delete(seenReadings.values().next().value);
  const tile = tiles.get(event.patient);
  const info = metricsCatalogue[event.metric];
  // An implausible value stays off the tile (the server raises "check the patient or the device" instead).
  if (!tile || !info || NOT_ON_TILES.has(event.metric) || (event.quality && event.quality !== "ok")) return;
  const m = tile.metrics[event.metric] ??= { ...info, value: null, measured_at: null, trend: null, spark: [],
                                             stale_after_hours: 24, bands: [] };
  // The first resume overlaps the census the page was rendered with: what is already shown is not news.
  if (m.measured_at && Date.parse(event.measured_at) === Date.parse(m.measured_at) && event.value === m.value) return;
  if (!m.measured_at || Date.parse(event.measured_at) >= Date.parse(m.measured_at)) {
    const step = 10 ** -m.precision;
    m.trend = m.value === null ? "steady"
      : event.value - m.value >= step ? "up" : m.value - event.value >= step ? "down" : "steady";
    m.value = event.value;
    m.measured_at = event.measured_at;
  }
  const t = Date.parse(event.measured_at) / 1000;
  const bucket = Math.floor(t / SPARK_BUCKET_S) * SPARK_BUCKET_S;
  const point = m.spark.find(([b]) => b === bucket);
  if (point) {
    point[2] = (point[2] ?? 1) + 1;
    point[1] += (event.value - point[1]) / point[2];
  } else {
    m.spark.push([bucket, event.value, 1]);
    m.spark.sort((a, b) => a[0] - b[0]);
  }
  dirty.add(tile.id);
}

function applyAlert(event) {
  const known = alerts.get(event.id);
  if (known && Date.parse(known.at) > Date.parse(event.at)) return;
  if (event.state === "resolved") alerts.delete(event.id);
  else alerts.set(event.id, event);
  dirty.add(event.patient);
  queueDirty = true;
}

function apply(event) {
  switch (event.type) {
    case "reading": applyReading(event); break;
    case "alert": applyAlert(event); break;
    case "patient":
      if (event.event === "removed") {
        tiles.delete(event.patient);
        tileEls.get(event.patient)?.remove();
        tileEls.delete(event.patient);
        queueDirty = orderDirty = true;
      } else if (event.tile) {
        tiles.set(event.patient, event.tile);
        dirty.add(event.patient);
      } else if (event.news2 !== undefined && tiles.has(event.patient)) {
        tiles.get(event.patient).news2 = event.news2;
        dirty.add(event.patient);
      }
      break;
    case "heartbeat":
      if (event.alerts_delayed !== undefined) {
        document.getElementById("alerts-delayed-banner").hidden = !event.alerts_delayed;
      }
      break;
    case "resync": location.reload(); break;
    case "gap": console.warn(`live updates: ${event.lost} lost by the server's layer, recovered from the database`); break;
    default: break;
  }
}

const STATE_TEXT = { connecting: "Connecting…", live: "● Live", reconnecting: "Reconnecting…", offline: "Offline" };

function showState(state) {
  const indicator = document.getElementById("connection");
  indicator.dataset.state = state;
  indicator.textContent = STATE_TEXT[state];
  root.classList.toggle("not-live", state !== "live");
  document.getElementById("stale-banner").hidden = state === "live" || state === "connecting";
}

async function act(form, action) {
  const id = form.dataset.alertForm;
  const error = form.querySelector(".error");
  error.textContent = "";
  const response = await fetch(`/api/v1/alerts/${id}/${action}/`, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify({ note: form.elements.note.value }),
  }).catch(() => null);
  if (!response || !response.ok) {
    const body = response ? await response.json().catch(() => ({})) : {};
    error.textContent = Object.values(body).flat().join(" ") || "Could not reach the server; try again.";
    return;
  }
  const updated = await response.json();
  const alert = alerts.get(Number(id));
  if (alert) {
    // keep the known `at`: the server's own push of this change (later `at`) still wins
    pending.push({ ...alert, state: updated.state, acknowledged_by: updated.acknowledged_by ?? alert.acknowledged_by });
    schedule();
  }
}

queueEl.addEventListener("submit", (e) => {
  e.preventDefault();
  act(e.target, e.submitter?.value ?? "acknowledge");
});
queueEl.addEventListener("click", (e) => {
  const target = e.target.closest("[data-focus]");
  if (!target) return;
  const el = tileEls.get(Number(target.dataset.focus));
  el?.scrollIntoView({ block: "center" });
  el?.focus();
});
for (const id of ["search", "condition-filter", "alerts-only", "sort"]) {
  document.getElementById(id).addEventListener("input", () => {
    for (const tile of tiles.values()) dirty.add(tile.id);
    schedule();
  });
}
// "3 min ago" and staleness move on even when nothing arrives.
setInterval(() => {
  for (const tile of tiles.values()) dirty.add(tile.id);
  queueDirty = true;
  schedule();
}, 30_000);

for (const tile of tiles.values()) dirty.add(tile.id);
render();

new LiveSocket(root.dataset.wsPath, {
  cursor: root.dataset.cursor,
  onEvents(events) {
    pending.push(...events);
    schedule();
  },
  onState: showState,
}).start();
