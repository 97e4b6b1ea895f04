// The alert workflow shared by the dashboard queue and the patient page: who owns an alert, its snooze, its
// escalation and who was told, the patient's last review, and the requests behind the buttons
// (/api/v1/alerts/<id>/assign|snooze|unsnooze|notes/, /api/v1/alerts/reviews/).

export const SNOOZE_CHOICES = [[15, "15 min"], [30, "30 min"], [60, "1 h"], [120, "2 h"], [240, "4 h"], [480, "8 h"],
                               [720, "12 h"], [1440, "24 h"]];

export const escapeHtml = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function clock(iso) {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? time : `${d.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
}

export const isSnoozed = (alert, now = Date.now()) => Boolean(alert.snoozed_until) && Date.parse(alert.snoozed_until) > now;

// Status lines: escalation and who was told, owner, snooze and its end, the patient's last review.
export function workflowLines(alert, { reviews }) {
  const lines = [];
  if (alert.escalation_level > 0) {
    const told = alert.notified?.length ? ` · notified ${alert.notified.map(escapeHtml).join(", ")}` : "";
    lines.push(`<span data-escalation="${alert.escalation_level}">Escalation level ${alert.escalation_level}${told}</span>`);
  }
  if (alert.assigned_to) lines.push(`<span data-assigned="${escapeHtml(alert.assigned_to)}">Assigned to ${escapeHtml(alert.assigned_to)}</span>`);
  if (isSnoozed(alert)) {
    lines.push(`<span class="snoozed" data-snoozed>Snoozed until ${clock(alert.snoozed_until)}` +
      `${alert.snooze_reason ? `: ${escapeHtml(alert.snooze_reason)}` : ""}</span>`);
  } else if (alert.snooze_ended_early) {
    lines.push('<span class="snooze-ended" data-snooze-ended>Snooze ended early: worse</span>');
  }
  const review = reviews[alert.patient];
  if (review) lines.push(`<span data-reviewed>Patient reviewed by ${escapeHtml(review.by)}, ${clock(review.at)}</span>`);
  return lines.length ? `<p class="workflow">${lines.join("<br>")}</p>` : "";
}

// The buttons, in a disclosure so the queue stays short; they submit the alert's form with their own action.
export function workflowControls(alert, { me, teams }, careTeamId) {
  const colleagues = (teams[careTeamId] ?? Object.values(teams).flat())
    .filter((u, i, all) => all.findIndex((v) => v.id === u.id) === i);
  const options = colleagues.map((u) =>
    `<option value="${u.id}"${u.username === alert.assigned_to ? " selected" : ""}>${escapeHtml(u.name)}</option>`).join("");
  const durations = SNOOZE_CHOICES.map(([m, label]) => `<option value="${m}"${m === 60 ? " selected" : ""}>${label}</option>`).join("");
  const id = alert.id;
  return `<details class="more" data-more="${id}"><summary>Assign, snooze, notes</summary>` +
    `<div class="more-body">` +
    (alert.assigned_to === me.username ? "" : `<button type="submit" name="action" value="take">Assign to me</button>`) +
    `<label>Assign to <select name="assignee"><option value="">Nobody</option>${options}</select></label>` +
    `<button type="submit" name="action" value="assign">Assign</button>` +
    `<label>Snooze for <select name="minutes">${durations}</select></label>` +
    `<label>Reason <input name="reason" type="text" maxlength="2000" autocomplete="off"></label>` +
    `<button type="submit" name="action" value="snooze">Snooze this alert</button>` +
    (isSnoozed(alert) ? `<button type="submit" name="action" value="unsnooze">End snooze</button>` : "") +
    `<button type="submit" name="action" value="note">Add the note above</button>` +
    `<button type="submit" name="action" value="review">Mark patient reviewed</button>` +
    `<h4 class="thread-title" id="thread-${id}">Notes</h4><ol class="thread" aria-labelledby="thread-${id}" data-thread="${id}"></ol>` +
    `</div></details>`;
}

// {url, body} of the request behind an action button.
export function workflowRequest(action, alert, form, me) {
  const field = (name) => form.elements[name]?.value ?? "";
  const base = `/api/v1/alerts/${alert.id}`;
  switch (action) {
    case "take": return { url: `${base}/assign/`, body: { assignee: me.id } };
    case "assign": return { url: `${base}/assign/`, body: { assignee: field("assignee") ? Number(field("assignee")) : null } };
    case "snooze": return { url: `${base}/snooze/`, body: { minutes: Number(field("minutes")), reason: field("reason") } };
    case "unsnooze": return { url: `${base}/unsnooze/`, body: {} };
    case "note": return { url: `${base}/notes/`, body: { text: field("note") } };
    case "review": return { url: "/api/v1/alerts/reviews/", body: { patient: alert.patient } };
    default: return { url: `${base}/${action}/`, body: { note: field("note") } };
  }
}

export async function post(url, body, csrfToken) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
  }).catch(() => null);
  const data = response ? await response.json().catch(() => ({})) : {};
  if (!response || !response.ok) {
    const message = (data.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join(" ");
    return { error: message || "Could not reach the server; try again." };
  }
  return { data };
}

export async function loadThread(list, alertId) {
  const response = await fetch(`/api/v1/alerts/${alertId}/notes/`, { credentials: "same-origin" }).catch(() => null);
  if (!response || !response.ok) return;
  const notes = await response.json();
  list.innerHTML = notes.map((n) => `<li><span class="who">${escapeHtml(n.author ?? "system")}</span> ` +
    `<span class="verb">${escapeHtml(n.verb || "note")}</span> <time datetime="${n.at}">${clock(n.at)}</time>` +
    `${n.text ? `: ${escapeHtml(n.text)}` : ""}</li>`).join("") || "<li>No notes yet.</li>";
}
