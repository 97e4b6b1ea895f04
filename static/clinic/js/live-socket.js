// The one socket client: connects to /ws/dashboard/, reconnects with backoff, resumes from the
// last event it saw (the server sends what was missed from the database), and reports its state:
// "connecting", "live", "reconnecting" or "offline".

const OFFLINE_AFTER_MS = 30_000;   // failing this long (or the browser says it is offline): "offline"
const BASE_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;

export class LiveSocket {
  constructor(path, { cursor, onEvents, onState }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.cursor = cursor;              // server time of the last event seen: the resume point
    this.onEvents = onEvents;
    this.onState = onState;
    this.attempt = 0;
    this.failingSince = null;
    this.state = null;
    this.socket = null;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.setState("offline"));
  }

  start() {
    this.setState("connecting");
    this.connect();
  }

  connect() {
    clearTimeout(this.retryTimer);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "resume", since: this.cursor }));
    });
    socket.addEventListener("message", (message) => this.receive(message.data));
    socket.addEventListener("close", () => {
      if (this.socket === socket) this.scheduleReconnect();
    });
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const events = frame.type === "batch" ? frame.events : [frame];
    if (frame.type === "hello") {
      this.attempt = 0;
      this.failingSince = null;
      this.setState("live");
    }
    for (const event of events) {
      if (event.at && event.type !== "heartbeat" && !(Date.parse(event.at) <= Date.parse(this.cursor))) {
        this.cursor = event.at;
      }
    }
    this.onEvents(events);
  }

  scheduleReconnect() {
    this.failingSince ??= Date.now();
    const offline = !navigator.onLine || Date.now() - this.failingSince > OFFLINE_AFTER_MS;
    this.setState(offline ? "offline" : "reconnecting");
    // "Full jitter": anywhere from 0 up to the exponential bound. After a deploy every dashboard loses its socket at
    // the same moment; spreading the retries over the whole window turns a thundering herd into a steady trickle.
    const delay = Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.state === "live") return;
    this.attempt = 0;
    this.connect();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }
}
