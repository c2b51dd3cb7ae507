import type { FrameAnalysis } from '@gic/shared/messages/events.js';

import type { Alert } from '../alerts/alert-tracker.js';
import type { SourceState } from '../capture/capture-supervisor.js';
import type { OpenProcedure } from '../procedures/procedure-controller.js';
import type { DiskReport } from '../upload/disk-watch.js';
import type { RecordingSummary } from '../upload/recordings-store.js';
import type { AnalysisHealth } from './analysis-watchdog.js';

/** A finding that alerted, as the screen lists it (its thumbnail is served by id). */
export interface Finding {
  id: string;
  label: string;
  bestScore: number;
  raisedAt: string;
  state: Alert['state'];
}

export const MAX_FINDINGS_SHOWN = 100;

/** What the in-room screen shows, kept in memory and rebuilt from the pipeline as it runs. */
export interface LiveState {
  source: { kind: string; label: string; state: SourceState; message?: string };
  /** The open procedure, or the last one (with `endedAt`) until another starts. */
  procedure: (OpenProcedure & { endedAt?: string }) | null;
  /** In-body video is being watched for an automatic start. */
  procedurePending: boolean;
  /** The endoscopist signed in on the screen; their alert settings apply. */
  operator: string | null;
  latest: FrameAnalysis | null;
  /** When the appsink delivered the latest analysed frame (epoch ms): its push latency is now minus this. */
  latestCapturedAt: number | null;
  /** Frames analysed since the box started, in a procedure or not. */
  framesAnalysed: number;
  /** Analysis rate over the last frames (frames/s). */
  analysisFps: number;
  /** Alerts on screen now (active or acknowledged). */
  alerts: Alert[];
  /** Every finding that alerted in this procedure, newest last (at most MAX_FINDINGS_SHOWN). */
  findings: Finding[];
  /** Local disk for recordings; `warning` when it runs low; `recording` false while too full to record. */
  disk: DiskReport | null;
  /** The recorder: `error` while writing fails (it is retried); recording resumes at the next segment. */
  recorder: { recording: boolean; error?: string };
  /** Live analysis: running, idle (no live source) or stalled (see AnalysisWatchdog). */
  analysis: AnalysisHealth;
  /** Once the shown procedure has ended: what was recorded of it, and how far its upload is. */
  recorded?: RecordingSummary | null;
}

/** Keeps the live state and a rolling analysis rate. */
export class LiveStateHolder {
  readonly state: LiveState;
  private readonly times: number[] = [];

  constructor(kind: string, label: string) {
    this.state = {
      source: { kind, label, state: 'starting' },
      procedure: null,
      procedurePending: false,
      operator: null,
      latest: null,
      latestCapturedAt: null,
      framesAnalysed: 0,
      analysisFps: 0,
      disk: null,
      recorder: { recording: true },
      analysis: { state: 'idle', restarts: 0 },
      alerts: [],
      findings: [],
    };
  }

  /**
   * The latest frame whose text was searched in full (small print found): the chat's screen reading
   * masks its lines too, since a light scan between full ones finds banner lines only. Not shown.
   */
  latestFullScan: FrameAnalysis | null = null;

  frameAnalysed(analysis: FrameAnalysis): void {
    this.state.latest = analysis;
    if (analysis.scan !== 'light') this.latestFullScan = analysis;
    this.state.framesAnalysed++;
    const now = performance.now();
    this.times.push(now);
    while (this.times.length > 10) this.times.shift();
    const span = (now - this.times[0]!) / 1000;
    this.state.analysisFps =
      this.times.length > 1 && span > 0 ? +((this.times.length - 1) / span).toFixed(2) : 0;
  }
}
