// Away from the tab: a sound and a desktop notification for new, worse and escalated high alerts. Opt-in per
// user in this browser (localStorage), off until the user turns it on. The notification names the care team, not
// the patient: the dashboard, behind sign-in, says who.

const RAISING = new Set(["opened", "worsened", "reopened", "escalated"]);

export class Alarms {
  constructor(button, status, { user, soundUrl }) {
    this.button = button;
    this.status = status;
    this.key = `rpm.alarms.${user}`;
    this.soundUrl = soundUrl;
    this.told = new Set();
    button.addEventListener("click", () => this.toggle());
    this.render();
  }

  get on() {
    return localStorage.getItem(this.key) === "on";
  }

  async toggle() {
    if (this.on) {
      localStorage.removeItem(this.key);
    } else {
      localStorage.setItem(this.key, "on");
      if ("Notification" in window && Notification.permission === "default") {
        await Notification.requestPermission().catch(() => null);
      }
    }
    this.render();
  }

  render() {
    const on = this.on;
    this.button.setAttribute("aria-pressed", String(on));
    this.button.textContent = on ? "Alarms on" : "Alarms off";
    const blocked = on && (!("Notification" in window) || Notification.permission === "denied");
    this.status.textContent = blocked ? "Desktop notifications are blocked by the browser: sound only." : "";
  }

  // Called for every alert event the dashboard applies; catch-up events ("changed", "current") never ring.
  consider(event, teamName) {
    if (!this.on || event.severity !== "high" || !RAISING.has(event.event)) return;
    if (event.snoozed_until && Date.parse(event.snoozed_until) > Date.now()) return;
    const key = `${event.id}:${event.event}:${event.escalation_level}:${event.at}`;
    if (this.told.has(key)) return;
    this.told.add(key);
    new Audio(this.soundUrl).play().catch(() => null);  // a browser may refuse sound before any user gesture
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const title = event.event === "escalated" ? `Escalated high alert (level ${event.escalation_level})`
      : event.event === "opened" ? "New high alert" : "High alert, worse";
    const notification = new Notification(title, {
      body: `For a patient on ${teamName || "your care team"}: open the dashboard.`, tag: `rpm-alert-${event.id}`,
    });
    notification.onclick = () => {
      window.focus();
      document.querySelector(`.queue [data-alert="${event.id}"] button`)?.focus();
      notification.close();
    };
  }
}
