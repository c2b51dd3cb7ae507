import { randomUUID } from 'node:crypto';
import { iou } from '@gic/shared/analysis/box-geometry.js';
import type { Box, Detection, ModelRef } from '@gic/shared/messages/events.js';
import { type AlertSettings, defaultAlertSettings } from './alert-settings.js';

export type AlertState = 'active' | 'acknowledged' | 'dismissed' | 'ended';

/** One alert: one lesion, however many frames it is seen in. */
export interface Alert {
  id: string;
  label: string;
  modelId: string;
  modelVersion: string;
  firstFrameIndex: number;
  firstSeenMs: number;
  raisedFrameIndex: number;
  raisedAtMs: number;
  bestScore: number;
  box: Box;
  /** True when a screen was showing the live view when it was raised. */
  shown: boolean;
  state: AlertState;
  acknowledgedBy?: string;
  acknowledgedAtMs?: number;
  dismissedBy?: string;
  dismissedAtMs?: number;
  endedAtMs?: number;
}

export type AlertChange = { kind: 'raised' | 'updated' | 'ended'; alert: Alert };

interface Track {
  label: string;
  box: Box;
  firstSeenMs: number;
  firstFrameIndex: number;
  lastSeenMs: number;
  bestScore: number;
  modelId: string;
  alert?: Alert;
}

/**
 * Tracks detections across frames so that each lesion alerts once: a track alerts when it has been
 * seen above the sensitivity for the minimum duration, ends after a gap, and a dismissed or ended
 * alert's place is quiet for the cooldown. Pure: time comes in with each frame (its pts, ms).
 */
export class AlertTracker {
  private tracks: Track[] = [];
  private cooldowns: { label: string; box: Box; untilMs: number }[] = [];
  private readonly alerts = new Map<string, Alert>();

  constructor(private settings: AlertSettings = { ...defaultAlertSettings }) {}

  setSettings(settings: AlertSettings): void {
    this.settings = settings;
  }

  get current(): Alert[] {
    return [...this.alerts.values()];
  }

  update(frame: {
    frameIndex: number;
    timeMs: number;
    detections: Detection[];
    models: ModelRef[];
    shown?: boolean;
  }) {
    const s = this.settings;
    const changes: AlertChange[] = [];
    const now = frame.timeMs;
    this.cooldowns = this.cooldowns.filter((c) => c.untilMs > now);
    const unmatched = new Set(this.tracks);
    for (const d of frame.detections
      .filter((x) => x.score >= s.sensitivity)
      .sort((a, b) => b.score - a.score)) {
      let best: Track | undefined;
      let bestIou = s.iouMatch;
      for (const t of unmatched) {
        const overlap = t.label === d.label ? iou(t.box, d.box) : 0;
        if (overlap >= bestIou) {
          best = t;
          bestIou = overlap;
        }
      }
      if (best) {
        unmatched.delete(best);
        best.box = d.box;
        best.lastSeenMs = now;
        if (best.alert && d.score > best.bestScore) {
          best.alert.bestScore = d.score;
          best.alert.box = d.box;
          if (best.alert.state === 'active' || best.alert.state === 'acknowledged')
            changes.push({ kind: 'updated', alert: best.alert });
        }
        best.bestScore = Math.max(best.bestScore, d.score);
      } else {
        this.tracks.push({
          label: d.label,
          box: d.box,
          firstSeenMs: now,
          firstFrameIndex: frame.frameIndex,
          lastSeenMs: now,
          bestScore: d.score,
          modelId: d.modelId,
        });
      }
    }
    for (const t of this.tracks) {
      if (t.alert || now - t.firstSeenMs < s.minDurationMs || t.lastSeenMs !== now) continue;
      if (this.cooldowns.some((c) => c.label === t.label && iou(c.box, t.box) >= s.iouMatch)) continue;
      const model = frame.models.find((m) => m.id === t.modelId);
      t.alert = {
        id: randomUUID(),
        label: t.label,
        modelId: t.modelId,
        modelVersion: model?.version ?? 'unknown',
        firstFrameIndex: t.firstFrameIndex,
        firstSeenMs: t.firstSeenMs,
        raisedFrameIndex: frame.frameIndex,
        raisedAtMs: now,
        bestScore: t.bestScore,
        box: t.box,
        shown: frame.shown ?? true,
        state: 'active',
      };
      this.alerts.set(t.alert.id, t.alert);
      changes.push({ kind: 'raised', alert: t.alert });
    }
    this.tracks = this.tracks.filter((t) => {
      if (now - t.lastSeenMs <= s.maxGapMs) return true;
      if (t.alert) {
        if (t.alert.state !== 'dismissed') t.alert.state = 'ended';
        t.alert.endedAtMs = now;
        this.cooldowns.push({ label: t.label, box: t.box, untilMs: now + s.cooldownMs });
        changes.push({ kind: 'ended', alert: t.alert });
        this.alerts.delete(t.alert.id);
      }
      return false;
    });
    return changes;
  }

  acknowledge(id: string, by: string, atMs: number): Alert | undefined {
    const alert = this.alerts.get(id);
    if (alert?.state !== 'active') return undefined;
    alert.state = 'acknowledged';
    alert.acknowledgedBy = by;
    alert.acknowledgedAtMs = atMs;
    return alert;
  }

  /** Dismisses an alert: its lesion stays quiet while in view, and its place for the cooldown after. */
  dismiss(id: string, by: string, atMs: number): Alert | undefined {
    const alert = this.alerts.get(id);
    if (!alert || (alert.state !== 'active' && alert.state !== 'acknowledged')) return undefined;
    alert.state = 'dismissed';
    alert.dismissedBy = by;
    alert.dismissedAtMs = atMs;
    return alert;
  }
}
