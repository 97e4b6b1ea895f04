// Warns before the idle timeout ends the session (rpm.sessions), and "Stay signed in" slides it on.
// The server is the judge: at the end the page goes to the sign-in page, which the server also insists on.
const body = document.body;
const warning = document.getElementById("session-warning");
const countdown = warning && warning.querySelector("[data-session-countdown]");
const warnBefore = Number(body.dataset.sessionWarningSeconds || 120);
let endsAt = 0;
let ticker = null;

function signIn() {
  location.assign("/login/?next=" + encodeURIComponent(location.pathname + location.search));
}

function tick() {
  const left = Math.round((endsAt - Date.now()) / 1000);
  if (left <= 0) {
    clearInterval(ticker);
    signIn();
    return;
  }
  warning.hidden = left > warnBefore;
  const minutes = Math.floor(left / 60);
  countdown.textContent = minutes ? `${minutes} min ${left % 60} s` : `${left} s`;
}

function start(seconds) {
  endsAt = Date.now() + seconds * 1000;
  clearInterval(ticker);
  ticker = setInterval(tick, 1000);
  tick();
}

if (warning && Number(body.dataset.sessionSeconds) > 0) {
  warning.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(warning.action, { method: "POST", body: new FormData(warning), credentials: "same-origin" });
    if (!response.ok) return signIn();
    start((await response.json()).seconds_left);
  });
  start(Number(body.dataset.sessionSeconds));
}
