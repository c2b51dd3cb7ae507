// Paces a simulated fleet: each active box emits its events at `rate` a second (spread over the
// second, boxes out of phase), every box sends telemetry every `telemetryS` seconds (staggered, as
// boxes started at different times do), and unacknowledged events are resent once a second.

/** Ticks per second of the pacing loop (each tick emits what is due). */
const TICK_MS = 100;

export class FleetDriver {
  devices = [];
  active = new Set();
  credit = new Map();
  rate = 0;

  constructor(telemetryS) {
    this.telemetryMs = telemetryS * 1000;
  }

  /** Adds connected boxes (idle until made active); each sends telemetry from a random point on. */
  add(devices) {
    const now = performance.now();
    for (const d of devices) {
      d.nextTelemetryAt = now + Math.random() * this.telemetryMs;
      this.devices.push(d);
    }
  }

  /** These boxes, and only these, emit events at `rate` a second each from now on. */
  load(devices, rate) {
    this.active = new Set(devices);
    this.rate = rate;
    for (const d of devices) if (!this.credit.has(d)) this.credit.set(d, Math.random());
  }

  start() {
    let last = performance.now();
    this.ticker = setInterval(() => {
      const now = performance.now();
      const dt = (now - last) / 1000;
      last = now;
      for (const d of this.active) {
        let c = this.credit.get(d) + this.rate * dt;
        for (; c >= 1; c--) d.emit();
        this.credit.set(d, c);
      }
      for (const d of this.devices) {
        if (now < d.nextTelemetryAt) continue;
        d.publishTelemetry();
        d.nextTelemetryAt += this.telemetryMs;
      }
    }, TICK_MS);
    this.resender = setInterval(() => {
      for (const d of this.devices) d.resendOverdue();
    }, 1000);
  }

  stop() {
    clearInterval(this.ticker);
    clearInterval(this.resender);
  }

  /** Events offered, acknowledged and resent so far, and not yet acknowledged, over every box. */
  totals() {
    let offered = 0;
    let pending = 0;
    let oldestMs = 0;
    let resent = 0;
    let acked = 0;
    const now = performance.now();
    for (const d of this.devices) {
      offered += d.counts.offered;
      resent += d.counts.resent;
      acked += d.counts.acked;
      const b = d.backlog(now);
      pending += b.pending;
      oldestMs = Math.max(oldestMs, b.oldestMs);
    }
    return { offered, pending, oldestMs, resent, acked, at: now };
  }
}
