import type { StageTimes } from '@gic/shared/analysis/stage-times.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import type { AlertSettings } from '../alerts/alert-settings.js';
import { type Alert, AlertTracker } from '../alerts/alert-tracker.js';
import type { AlertsStore } from '../alerts/alerts-store.js';
import type { OperatorsStore } from '../operators/operators-store.js';
import type { ScreenPerson } from '../operators/screen-sign-in.js';
import type { OpenProcedure, ProcedureController } from '../procedures/procedure-controller.js';
import { lap } from './frame-stages.js';
import { type LiveStateHolder, MAX_FINDINGS_SHOWN } from './live-state.js';
import type { EndReason } from './procedure-log.js';

export interface LiveSessionHooks {
  /** Something the screens show changed. */
  changed(): void;
  /** New events wait in the outbox. */
  eventsWaiting(): void;
  procedureStarted(procedure: OpenProcedure): void;
  procedureEnded(procedure: OpenProcedure, reason: EndReason): void;
  /** How many screens watch now (an alert raised with none is recorded as not shown). */
  screens(): number;
}

/**
 * The in-room flow after analysis: each analysed frame goes to the procedure controller (start/end,
 * SQLite and outbox), then, inside a procedure or one about to start, to the alert tracker with the
 * signed-in endoscopist's settings; every alert change is audited. The screen's actions (start, end,
 * cecum, acknowledge, dismiss, sign in) come here too, so one place keeps the live state consistent.
 */
export class LiveSession {
  private tracker: AlertTracker;
  /** Wall-clock time each alert was raised (the tracker works in stream time). */
  private readonly raisedAt = new Map<string, string>();

  constructor(
    readonly live: LiveStateHolder,
    private readonly controller: ProcedureController,
    private readonly alertsStore: AlertsStore,
    private readonly operators: OperatorsStore,
    private readonly hooks: LiveSessionHooks,
  ) {
    this.tracker = new AlertTracker(this.alertSettings);
    live.state.operator = operators.signedIn;
  }

  /** The settings alerts follow now: the signed-in endoscopist's, else the room's. */
  get alertSettings(): AlertSettings {
    return this.operators.settingsFor(this.operators.signedIn);
  }

  /** The controller's hooks: call from ProcedureController's `started` and `ended`. */
  readonly procedureHooks = {
    started: (procedure: OpenProcedure) => {
      // The tracker keeps what it saw while the start was pending: a finding may be what started it.
      this.live.state.procedure = { ...procedure };
      this.live.state.findings = [];
      this.showAlerts();
      this.hooks.procedureStarted(procedure);
      this.hooks.eventsWaiting();
    },
    ended: (procedure: OpenProcedure, reason: EndReason, endedAt: string) => {
      // Alerts still on screen end with their procedure, in the audit too.
      for (const alert of this.tracker.current) {
        if (alert.state === 'active' || alert.state === 'acknowledged') {
          alert.state = 'ended';
          this.record(procedure.id, alert);
        }
      }
      this.tracker = new AlertTracker(this.alertSettings);
      const shown = this.live.state.procedure;
      if (shown?.id === procedure.id) Object.assign(shown, { endedAt, frames: procedure.frames });
      this.showAlerts();
      this.hooks.procedureEnded(procedure, reason);
      this.hooks.eventsWaiting();
    },
  };

  /**
   * One analysed frame from the live source; returns the alerts it raised. `times`, where given, gets
   * `store` (procedure control, SQLite and outbox), `alerts` and `push` (the screens told) in ms.
   */
  analysed(analysis: FrameAnalysis, times?: StageTimes): Alert[] {
    let at = times && performance.now();
    const fate = this.controller.frame(analysis);
    at = lap(times, 'store', at);
    const raised: Alert[] = [];
    // Alerts are tracked inside a procedure, or one about to start; not on the frame that ended one.
    if (fate === 'pending' || (fate === 'recorded' && this.controller.current)) {
      const changes = this.tracker.update({
        frameIndex: analysis.frameIndex,
        timeMs: analysis.ptsMs,
        detections: analysis.detections,
        models: analysis.models,
        shown: this.hooks.screens() > 0,
      });
      // Every alert belongs to a procedure: a finding while a start is pending starts it now.
      const procedure = changes.length > 0 ? this.controller.startForFinding() : this.controller.current;
      if (procedure) for (const { alert } of changes) this.record(procedure.id, alert);
      for (const change of changes) if (change.kind === 'raised') raised.push(change.alert);
      this.showAlerts();
    }
    const shown = this.live.state.procedure;
    const open = this.controller.current;
    if (shown && open?.id === shown.id) shown.frames = open.frames;
    this.live.state.procedurePending = fate === 'pending';
    this.live.frameAnalysed(analysis);
    at = lap(times, 'alerts', at);
    this.hooks.changed();
    at = lap(times, 'push', at);
    if (fate === 'recorded') this.hooks.eventsWaiting();
    lap(times, 'store', at);
    return raised;
  }

  startProcedure(by: string | null): OpenProcedure | undefined {
    const started = this.controller.start(by);
    if (started) this.hooks.changed();
    return started;
  }

  endProcedure(by: string): OpenProcedure | undefined {
    const ended = this.controller.end('operator', by);
    if (ended) this.hooks.changed();
    return ended;
  }

  markCecum(by: string): { procedureId: string; at: string } | undefined {
    const marked = this.controller.markCecum(by);
    const shown = this.live.state.procedure;
    if (marked && shown?.id === marked.procedureId) shown.cecumReachedAt = marked.at;
    if (marked) {
      this.hooks.eventsWaiting();
      this.hooks.changed();
    }
    return marked;
  }

  acknowledge(id: string, by: string): Alert | undefined {
    return this.alertAction(this.tracker.acknowledge(id, by, Date.now()));
  }

  dismiss(id: string, by: string): Alert | undefined {
    return this.alertAction(this.tracker.dismiss(id, by, Date.now()));
  }

  /** Signs a person in on the screen (null signs out); their alert settings apply at once. */
  signIn(person: ScreenPerson | string | null): void {
    this.operators.signIn(person);
    this.live.state.operator = this.operators.signedIn;
    this.tracker.setSettings(this.alertSettings);
    this.hooks.changed();
  }

  /** The room's default alert settings changed: they apply at once while nobody's own settings do. */
  roomDefaultsChanged(): void {
    this.tracker.setSettings(this.alertSettings);
  }

  /** Someone's settings changed; if they are signed in, alerts follow the new ones at once. */
  settingsChanged(name: string): void {
    if (name === this.operators.signedIn) this.tracker.setSettings(this.alertSettings);
  }

  private alertAction(alert: Alert | undefined): Alert | undefined {
    const procedure = this.controller.current;
    if (alert && procedure) this.record(procedure.id, alert);
    this.showAlerts();
    this.hooks.changed();
    return alert;
  }

  private record(procedureId: string, alert: Alert): void {
    if (!this.raisedAt.has(alert.id)) this.raisedAt.set(alert.id, new Date().toISOString());
    const raisedAt = this.raisedAt.get(alert.id)!;
    this.alertsStore.upsert(procedureId, alert, raisedAt);
    if (alert.state === 'ended') this.raisedAt.delete(alert.id);
    const findings = this.live.state.findings;
    const finding = {
      id: alert.id,
      label: alert.label,
      bestScore: alert.bestScore,
      raisedAt,
      state: alert.state,
    };
    const at = findings.findIndex((f) => f.id === alert.id);
    if (at >= 0) findings[at] = finding;
    else findings.push(finding);
    if (findings.length > MAX_FINDINGS_SHOWN) findings.shift();
    this.hooks.eventsWaiting();
  }

  private showAlerts(): void {
    this.live.state.alerts = this.tracker.current.filter(
      (a) => a.state === 'active' || a.state === 'acknowledged',
    );
  }
}
