// The running care-time timer on the patient page: whole minutes since it started, as the server will log them.
const form = document.querySelector('[data-timer="running"]');
const shown = form?.querySelector("[data-timer-elapsed]");
if (form && shown) {
  const started = Date.parse(form.dataset.started);
  const tick = () => { shown.textContent = String(Math.max(0, Math.floor((Date.now() - started) / 60000))); };
  tick();
  setInterval(tick, 15000);
}
