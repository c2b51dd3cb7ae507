import type { Citation } from '../messages/events.js';
import type { ProcedureFacts } from './procedure-facts.js';

/** An axis time as the chat writes it: `m:ss`, or `h:mm:ss` past an hour. */
export function axisTime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A length as words: `6 min 40 s`. */
export function lengthOf(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/** The clock time at an axis time in `timeZone` (HH:MM:SS), or null when the procedure's clock is unknown. */
export function clockAt(facts: ProcedureFacts, tMs: number, timeZone: string | undefined): string | null {
  if (facts.startMs === null) return null;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(new Date(facts.startMs + tMs));
}

/** Seconds since midnight, in `timeZone`, of an instant. */
function secondOfDay(epochMs: number, timeZone: string | undefined): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hour12: false,
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  // Some engines write midnight as hour 24.
  return (get('hour') % 24) * 3600 + get('minute') * 60 + get('second');
}

/**
 * The axis time of a clock time (seconds since midnight, in `timeZone`) during the procedure, or
 * undefined when the procedure's clock is unknown or that time is not within it.
 */
export function axisOfClock(
  facts: ProcedureFacts,
  clockSeconds: number,
  timeZone: string | undefined,
): number | undefined {
  if (facts.startMs === null) return undefined;
  let diff = clockSeconds - secondOfDay(facts.startMs, timeZone);
  if (diff < 0) diff += 86_400; // a procedure that runs past midnight
  const tMs = diff * 1000;
  return tMs <= facts.durationMs + 1000 ? tMs : undefined;
}

/** A citation of an axis time, with the clock time there. */
export function cite(facts: ProcedureFacts, tMs: number, label: string, alertId?: string): Citation {
  const t = Math.max(0, Math.round(tMs));
  return {
    tMs: t,
    at: facts.startMs === null ? null : new Date(facts.startMs + t).toISOString(),
    label: label.slice(0, 200),
    ...(alertId ? { alertId } : {}),
  };
}

/** `4:10 into the procedure (10:32:05)`: where a time is, for a person. */
export function whenText(facts: ProcedureFacts, tMs: number, timeZone: string | undefined): string {
  const clock = clockAt(facts, tMs, timeZone);
  return `${axisTime(tMs)} into the procedure${clock ? ` (${clock})` : ''}`;
}
