// The patient page's alert workflow: the same requests as the dashboard queue (alert-workflow.js), plus
// snoozing one rule for this patient; the page reloads to show the result.

import { post, workflowRequest } from "./alert-workflow.js";

const section = document.getElementById("alert-workflow");
const patient = Number(section.dataset.patientId);
const csrfToken = document.querySelector("[name=csrfmiddlewaretoken]")?.value
  ?? document.cookie.match(/csrftoken=([^;]+)/)?.[1] ?? "";

function done({ error: message }, errorEl) {
  if (message) {
    errorEl.textContent = message;
    return;
  }
  location.hash = "alert-workflow";
  location.reload();
}

section.addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const action = e.submitter?.value ?? "note";
  const error = form.querySelector(".error");
  error.textContent = "";
  const alert = { id: Number(form.dataset.alertForm), patient };
  const { url, body } = action === "snooze_rule"
    ? { url: "/api/v1/alerts/rule-snoozes/", body: { patient, rule: Number(form.dataset.rule),
        minutes: Number(form.elements.minutes.value), reason: form.elements.reason.value } }
    : workflowRequest(action, alert, form, { id: Number(section.dataset.me) });
  done(await post(url, body, csrfToken), error);
});

section.querySelector("[data-review]").addEventListener("click", async (e) => {
  const error = e.target.parentElement.querySelector(".error");
  done(await post("/api/v1/alerts/reviews/", { patient }, csrfToken), error);
});
