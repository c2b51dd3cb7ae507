import { axisTime, lengthOf } from './chat-time.js';
import type { ProcedureFacts } from './procedure-facts.js';

/** How much more video (ms) makes the running summary stale, besides any new alert or landmark. */
export const SUMMARY_REFRESH_MS = 30_000;

/** A short running summary of the procedure, from its timeline: what the model is given as its memory of it. */
export function summarise(facts: ProcedureFacts): string {
  const lines = [
    `${facts.ended ? 'Ended' : 'Ongoing'} procedure, ${lengthOf(facts.durationMs)} of analysed video, ${facts.frames.length} analysed frames.`,
  ];
  let inBody = 0;
  let poor = 0;
  for (const f of facts.frames) {
    if (f.inBody) inBody++;
    if (f.quality < 0.5) poor++;
  }
  if (facts.frames.length)
    lines.push(
      `Scope in the body in ${Math.round((100 * inBody) / facts.frames.length)}% of frames; picture poor in ${Math.round((100 * poor) / facts.frames.length)}%.`,
    );
  if (facts.cecumMs !== null) lines.push(`Cecum marked at ${axisTime(facts.cecumMs)}.`);
  if (facts.withdrawal)
    lines.push(
      `Withdrawal ${facts.ended ? 'lasted' : 'so far'} ${lengthOf(facts.withdrawal.endMs - facts.withdrawal.startMs)}.`,
    );
  const alerts = facts.alerts.filter((a) => a.state !== 'dismissed');
  lines.push(
    alerts.length
      ? `Alerts (one per tracked lesion): ${alerts.map((a) => `${a.label} at ${axisTime(a.tMs)} (${a.state})`).join(', ')}.`
      : 'No alerts raised.',
  );
  const dismissed = facts.alerts.length - alerts.length;
  if (dismissed) lines.push(`${dismissed} alert(s) dismissed by the team.`);
  return lines.join(' ');
}

/**
 * Running summaries per procedure, rebuilt as the procedure goes on: when an alert or landmark is
 * added, the procedure ends, or SUMMARY_REFRESH_MS more of it has been analysed.
 */
export class SummaryCache {
  private readonly byProcedure = new Map<string, { key: string; durationMs: number; text: string }>();

  constructor(private readonly refreshMs = SUMMARY_REFRESH_MS) {}

  get(facts: ProcedureFacts): string {
    const key = `${facts.ended}|${facts.alerts.map((a) => a.state).join(',')}|${facts.cecumMs}`;
    const held = this.byProcedure.get(facts.procedureId);
    if (held && held.key === key && facts.durationMs - held.durationMs < this.refreshMs) return held.text;
    const text = summarise(facts);
    // A bounded memory: a box runs a procedure or two at a time, a hub a few reviewers' worth.
    if (this.byProcedure.size >= 256) this.byProcedure.delete(this.byProcedure.keys().next().value!);
    this.byProcedure.set(facts.procedureId, { key, durationMs: facts.durationMs, text });
    return text;
  }
}
