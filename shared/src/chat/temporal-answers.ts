import type { Citation } from '../messages/events.js';
import { axisOfClock, axisTime, cite, lengthOf, whenText } from './chat-time.js';
import type { ProcedureFacts } from './procedure-facts.js';

/** An answer taken from the procedure's own timeline, with the times it rests on. */
export interface TimelineAnswer {
  text: string;
  citations: Citation[];
}

export interface TimelineQuestion {
  question: string;
  facts: ProcedureFacts;
  /** "Now" on the axis: the last frame in the room, or the video's position at the hub. */
  nowMs: number;
  timeZone?: string | undefined;
}

/** Guidelines' minimum withdrawal time for a screening colonoscopy (ms). */
const MIN_WITHDRAWAL_MS = 6 * 60_000;
/** How far from a time a finding or an alert still counts as "then" (ms). */
const NEAR_MS = 3000;

const WORD_NUMBERS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const score = (s: number) => s.toFixed(2);

/** What the timeline holds at one time: where the scope was, the picture, and what was flagged. */
function describeMoment(q: TimelineQuestion, tMs: number, asked: string): TimelineAnswer {
  const { facts, timeZone } = q;
  if (facts.frames.length === 0)
    return {
      text: 'No frame of this procedure has been analysed yet, so there is nothing to look back at.',
      citations: [],
    };
  if (tMs < 0 || tMs > facts.durationMs + NEAR_MS)
    return {
      text: `${asked} is outside this procedure, which runs from 0:00 to ${axisTime(facts.durationMs)}.`,
      citations: [],
    };
  const frame = nearestFrame(facts, tMs);
  const t = frame.tMs;
  const parts = [
    `At ${whenText(facts, t, timeZone)}, the scope was ${frame.inBody ? 'in the body' : 'outside the body'}`,
    `the picture's quality was ${frame.quality >= 0.5 ? 'good' : 'poor (blurred or badly exposed)'} (${score(frame.quality)} of 1)`,
  ];
  const findings = facts.findings.filter((f) => f.startMs - NEAR_MS <= t && t <= f.endMs + NEAR_MS);
  const alerts = facts.alerts.filter((a) => Math.abs(a.tMs - t) <= NEAR_MS);
  const citations = [cite(facts, t, `frame at ${axisTime(t)}`)];
  if (findings.length === 0) parts.push('and the detector flagged nothing there');
  for (const f of findings) {
    parts.push(
      `the detector marked a ${f.label} (best score ${score(f.score)} at ${axisTime(f.tMs)}, seen from ${axisTime(f.startMs)} to ${axisTime(f.endMs)})`,
    );
    citations.push(cite(facts, f.tMs, `${f.label} ${score(f.score)}`));
  }
  for (const a of alerts) {
    parts.push(`an alert for a ${a.label} was raised at ${axisTime(a.tMs)} (${a.state})`);
    citations.push(cite(facts, a.tMs, `alert: ${a.label}`, a.id));
  }
  if (facts.cecumMs !== null && Math.abs(facts.cecumMs - t) <= NEAR_MS)
    parts.push('the cecum was marked then');
  return { text: `${parts.join(', ')}.`, citations: dedupe(citations) };
}

function nearestFrame(facts: ProcedureFacts, tMs: number) {
  const { frames } = facts;
  let lo = 0;
  let hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.tMs < tMs) lo = mid + 1;
    else hi = mid;
  }
  const after = frames[lo]!;
  const before = frames[lo - 1];
  return before && tMs - before.tMs < after.tMs - tMs ? before : after;
}

/** One citation per time; an alert's (which opens its picture) wins over a plain one. */
function dedupe(citations: Citation[]): Citation[] {
  const byTime = new Map<number, Citation>();
  for (const c of citations) if (!byTime.get(c.tMs)?.alertId) byTime.set(c.tMs, c);
  return [...byTime.values()];
}

/** "how many polyps so far", "when were the polyps": the tracked alerts (one per lesion), else the findings. */
function countFindings(q: TimelineQuestion, word: string, soFar: boolean): TimelineAnswer {
  const { facts } = q;
  // "So far" counts up to now (the video's position at the hub); otherwise the whole procedure.
  const nowMs = soFar ? q.nowMs : Math.max(q.nowMs, facts.durationMs);
  const polyp = /polyp|lesion|adenoma/.test(word);
  const match = (label: string) => !polyp || /polyp|lesion|adenoma/i.test(label);
  const alerts = facts.alerts.filter((a) => match(a.label) && a.tMs <= nowMs + NEAR_MS);
  const kept = alerts.filter((a) => a.state !== 'dismissed');
  const dismissed = alerts.filter((a) => a.state === 'dismissed');
  const upTo =
    facts.ended && nowMs >= facts.durationMs ? 'In this procedure' : `So far (up to ${axisTime(nowMs)})`;
  const thing = polyp ? 'polyp' : 'finding';
  if (alerts.length > 0) {
    const list = kept.map(
      (a) => `${axisTime(a.tMs)} (score ${score(a.score)}, ${a.state}${a.by ? ` by ${a.by}` : ''})`,
    );
    let text = `${upTo}, the detector raised ${plural(kept.length, `${thing} alert`)}${list.length ? `: at ${list.join('; ')}` : ''}.`;
    if (dismissed.length)
      text += ` ${plural(dismissed.length, 'more alert')} ${dismissed.length === 1 ? 'was' : 'were'} dismissed by the team (at ${dismissed.map((a) => axisTime(a.tMs)).join(', ')}).`;
    text +=
      ' Each alert is one tracked lesion; the count is the detector’s, to be checked by the endoscopist.';
    return {
      text,
      citations: alerts.map((a) => cite(facts, a.tMs, `alert: ${a.label} ${score(a.score)}`, a.id)),
    };
  }
  const findings = facts.findings.filter((f) => match(f.label) && f.tMs <= nowMs + NEAR_MS);
  if (findings.length === 0) return { text: `${upTo}, the detector has flagged no ${thing}.`, citations: [] };
  return {
    text: `${upTo}, the detector flagged ${plural(findings.length, `${thing} sighting`)} (runs of frames): at ${findings
      .map((f) => `${axisTime(f.tMs)} (${f.label}, score ${score(f.score)})`)
      .join('; ')}. One lesion seen twice counts twice here.`,
    citations: findings.map((f) => cite(facts, f.tMs, `${f.label} ${score(f.score)}`)),
  };
}

function withdrawal(q: TimelineQuestion): TimelineAnswer {
  const { facts, timeZone } = q;
  const w = facts.withdrawal;
  if (!w)
    return {
      text: 'The cecum has not been marked in this procedure, so its withdrawal time is not known: the withdrawal is timed from the moment the cecum is marked.',
      citations: [],
    };
  const length = w.endMs - w.startMs;
  const verb = facts.ended ? 'lasted' : 'has lasted so far';
  const meets =
    length >= MIN_WITHDRAWAL_MS
      ? 'That meets the 6-minute minimum that guidelines recommend for a screening colonoscopy.'
      : `That is under the 6-minute minimum that guidelines recommend for a screening colonoscopy${facts.ended ? '' : ' (so far)'}.`;
  return {
    text: `The withdrawal began when the cecum was marked at ${whenText(facts, w.startMs, timeZone)} and ${verb} ${lengthOf(length)}, to ${axisTime(w.endMs)}. ${meets}`,
    citations: [
      cite(facts, w.startMs, 'cecum reached: withdrawal start'),
      cite(facts, w.endMs, 'withdrawal end'),
    ],
  };
}

function cecum(q: TimelineQuestion): TimelineAnswer {
  const { facts, timeZone } = q;
  if (facts.cecumMs === null)
    return { text: 'The cecum has not been marked in this procedure.', citations: [] };
  return {
    text: `The cecum was marked as reached at ${whenText(facts, facts.cecumMs, timeZone)}.`,
    citations: [cite(facts, facts.cecumMs, 'cecum reached')],
  };
}

function duration(q: TimelineQuestion): TimelineAnswer {
  const { facts } = q;
  const inBody = facts.frames.filter((f) => f.inBody).length;
  const share = facts.frames.length ? Math.round((100 * inBody) / facts.frames.length) : 0;
  return {
    text: `The procedure ${facts.ended ? 'lasted' : 'has lasted so far'} ${lengthOf(facts.durationMs)} of analysed video (from 0:00 to ${axisTime(facts.durationMs)}); the scope was in the body in ${share}% of the analysed frames.`,
    citations: [cite(facts, 0, 'first analysed frame'), cite(facts, facts.durationMs, 'last analysed frame')],
  };
}

/** "4 minutes ago", "two minutes and 30 seconds ago", "90 s ago": milliseconds, or undefined. */
function agoMs(text: string): number | undefined {
  const m = text.match(
    /\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|thirty)\s*(hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b(?:\s*(?:and\s*)?(\d+)\s*(?:seconds?|secs?|s)\b)?\s*(?:ago|back|before now|earlier)\b/,
  );
  if (!m) return undefined;
  const n = WORD_NUMBERS[m[1]!] ?? Number(m[1]);
  const unit = m[2]!.startsWith('h') ? 3_600_000 : m[2]!.startsWith('m') ? 60_000 : 1000;
  return n * unit + Number(m[3] ?? 0) * 1000;
}

/**
 * Answers a question about times, counts and landmarks from the procedure's own timeline, with the
 * times it rests on; undefined when the question is not one of those (the model takes it, if any).
 * Works with no model at all. Only the question's wording is read, never obeyed: whatever else it
 * says, the answer is built from the stored data.
 */
export function answerFromTimeline(q: TimelineQuestion): TimelineAnswer | undefined {
  const text = q.question.toLowerCase().replace(/\s+/g, ' ');
  const count = text.match(/\bhow many (polyps?|lesions?|adenomas?|findings?|alerts?)\b/);
  const soFar = /\b(so far|until now|up to now|yet)\b/.test(text);
  if (count) return countFindings(q, count[1]!, soFar);
  if (/\bwhen\b.*\b(polyps?|lesions?)\b/.test(text) && !/\b(cecum|caecum)\b/.test(text))
    return countFindings(q, 'polyp', soFar);
  if (/\bwithdrawal\b/.test(text)) return withdrawal(q);
  if (/\b(cecum|caecum)\b/.test(text) && /\b(when|what time|reach|reached|time)\b/.test(text))
    return cecum(q);
  const ago = agoMs(text);
  if (ago !== undefined)
    return describeMoment(q, q.nowMs - ago, `${lengthOf(ago)} before ${axisTime(q.nowMs)}`);
  const minute = text.match(/\b(?:at|in) minute (\d+)\b|\b(\d+) minutes? (?:in|into)\b/);
  if (minute) {
    const m = Number(minute[1] ?? minute[2]);
    return describeMoment(q, m * 60_000, `Minute ${m}`);
  }
  const at = text.match(/\b(?:at|around|about) (\d{1,2}):(\d{2})(?::(\d{2}))?\b( into)?/);
  if (at) {
    const [a, b, c] = [Number(at[1]), Number(at[2]), at[3] === undefined ? undefined : Number(at[3])];
    // "at 12:30" is the clock when the procedure ran then; otherwise (or "12:30 into") time into it.
    const clock =
      at[4] || a > 23 ? undefined : axisOfClock(q.facts, a * 3600 + b * 60 + (c ?? 0), q.timeZone);
    const elapsed = c !== undefined ? (a * 3600 + b * 60 + c) * 1000 : (a * 60 + b) * 1000;
    return describeMoment(q, clock ?? elapsed, `${at[1]}:${at[2]}${at[3] ? `:${at[3]}` : ''}`);
  }
  if (/\bhow long\b.*\b(procedure|exam|examination|colonoscopy|so far|been going)\b/.test(text))
    return duration(q);
  return undefined;
}
