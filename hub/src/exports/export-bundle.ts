import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { latestRunWith } from '../batch/processing-repo.js';
import { findSummary, framesOf, latestKeyframes } from '../batch/results-repo.js';
import type { VideoSummary } from '../batch/summary-builder.js';
import type { Queryable } from '../db/database.js';
import type { ObjectStore } from '../storage/object-store.js';
import { availableSegments, findVideo, verifiedObject } from '../videos/videos-repo.js';
import { bundleCsv, summaryHtml, summaryMarkdown, transcriptMarkdown } from './bundle-documents.js';
import type { ExportPurpose } from './exports-repo.js';
import { joinSegments } from './segment-join.js';
import type { ZipWriter } from './zip-writer.js';

/** Where the bundle's facts come from: times are ms from the procedure's start, never dates or names. */
async function procedureFacts(db: Queryable, procedureId: string) {
  const { rows } = await db.query<{ device_id: string; started_at: Date | null; cecum_ms: number | null }>(
    `SELECT device_id, started_at,
            (EXTRACT(epoch FROM (cecum_reached_at - started_at)) * 1000)::float8 AS cecum_ms
       FROM procedures WHERE id = $1`,
    [procedureId],
  );
  return rows[0];
}

async function analysesOf(
  db: Queryable,
  procedureId: string,
): Promise<{ analyses: FrameAnalysis[]; from: string }> {
  const run = await latestRunWith(db, procedureId, 'analyse');
  if (run) {
    const rows = await framesOf(db, run.id);
    return {
      analyses: rows.flatMap((r) => (r.analysis ? [r.analysis as FrameAnalysis] : [])),
      from: 'hub-batch',
    };
  }
  const { rows } = await db.query<{ analysis: FrameAnalysis }>(
    'SELECT analysis FROM frame_analyses WHERE procedure_id = $1 ORDER BY frame_index',
    [procedureId],
  );
  return { analyses: rows.map((r) => r.analysis), from: 'edge-live' };
}

const relative = (at: Date | null, start: Date | null) =>
  at && start ? Math.max(0, at.getTime() - start.getTime()) : null;

/**
 * Writes a procedure's export into `zip`: the de-identified video (segments joined), key frames,
 * analyses (JSON, CSV), alerts and landmarks, the summary (HTML, Markdown), the chat transcript,
 * metadata.json and last manifest.json with every file's SHA-256. A video stored as one object goes
 * in by `deps.copy` when given (its SHA-256 and CRC-32 from when it was verified; the caller checks
 * the copy on a read of the archive, see ZipWriter.addUnseen). Identifiers are made up for the
 * export; no names, dates or device names that would tell a room (unless `deviceNames`). A teaching
 * export leaves out the room's conversation (free text said about the patient) and device names
 * whatever `deviceNames` says: what trainees may take.
 */
export async function writeBundle(
  zip: ZipWriter,
  deps: {
    db: Queryable;
    store: ObjectStore;
    deviceNames: boolean;
    purpose?: ExportPurpose;
    /**
     * Appends a stored object's first `bytes` to the archive's sink by other means (a copy on the
     * object store's server); absent, every file is read through here.
     */
    copy?: (key: string, bytes: number) => Promise<void>;
  },
  procedureId: string,
  progress: (share: number) => Promise<void>,
): Promise<void> {
  const { db, store } = deps;
  const p = await procedureFacts(db, procedureId);
  if (!p) throw new Error('no such procedure');
  const video = await findVideo(db, procedureId);
  const start = p.started_at;

  // One stored video goes in as it is: copied on the object store's server when the export's writer
  // can (deps.copy) and its CRC-32 is known, otherwise read through here.
  const addStored = async (key: string) => {
    const known = deps.copy ? await verifiedObject(db, key) : undefined;
    if (known && deps.copy) {
      const copy = deps.copy;
      await zip.addUnseen('video/procedure.mp4', known, () => copy(key, known.bytes));
    } else await zip.add('video/procedure.mp4', (await store.read(key)) as Readable);
  };
  if (video?.source === 'upload') {
    if (!video.masked_key || !video.masked_verified_at)
      throw new Error('the upload is not de-identified yet');
    await addStored(video.masked_key);
  } else {
    const segments = await availableSegments(db, procedureId);
    if (segments.length === 1) await addStored(segments[0]!.key);
    else if (segments.length > 1) {
      const urls = await Promise.all(
        segments.map((s) => store.presignGet(s.key, { internal: true, expiresIn: 3600 })),
      );
      await zip.add('video/procedure.mp4', joinSegments(urls));
    }
  }
  await progress(0.6);

  for (const k of await latestKeyframes(db, procedureId)) {
    await zip.add(
      `keyframes/${String(k.t_ms).padStart(9, '0')}-${k.reason}.jpg`,
      await store.readAll(k.object_key),
    );
  }
  await progress(0.7);

  const { analyses, from } = await analysesOf(db, procedureId);
  await zip.add('analyses/frames.json', JSON.stringify(analyses));
  await zip.add('analyses/frames.csv', bundleCsv(analyses));

  const alerts = await db.query<{
    label: string;
    model_id: string;
    model_version: string;
    raised_at: Date;
    best_score: number;
    box: unknown;
    state: string;
    shown: boolean;
    acknowledged_at: Date | null;
    dismissed_at: Date | null;
  }>(
    `SELECT label, model_id, model_version, raised_at, best_score, box, state, shown, acknowledged_at, dismissed_at
       FROM alerts WHERE procedure_id = $1 ORDER BY raised_at`,
    [procedureId],
  );
  await zip.add(
    'events/alerts.json',
    JSON.stringify(
      alerts.rows.map((a) => ({
        label: a.label,
        model: `${a.model_id}@${a.model_version}`,
        raisedMs: relative(a.raised_at, start),
        bestScore: a.best_score,
        box: a.box,
        state: a.state,
        shown: a.shown,
        acknowledgedMs: relative(a.acknowledged_at, start),
        dismissedMs: relative(a.dismissed_at, start),
      })),
      null,
      2,
    ),
  );
  await zip.add(
    'events/landmarks.json',
    JSON.stringify(
      p.cecum_ms !== null && p.cecum_ms >= 0 ? [{ landmark: 'cecum', tMs: p.cecum_ms }] : [],
      null,
      2,
    ),
  );

  const summary: VideoSummary | undefined = await findSummary(db, procedureId);
  await zip.add('summary/summary.md', summaryMarkdown(summary));
  await zip.add('summary/summary.html', summaryHtml(summary));

  const teaching = deps.purpose === 'teaching';
  if (!teaching) {
    const chat = await db.query<{ role: string; text: string; at: Date }>(
      'SELECT role, text, at FROM chat_messages WHERE procedure_id = $1 ORDER BY at',
      [procedureId],
    );
    const messages = chat.rows.map((m) => ({ tMs: relative(m.at, start), role: m.role, text: m.text }));
    await zip.add('chat/transcript.json', JSON.stringify(messages, null, 2));
    await zip.add('chat/transcript.md', transcriptMarkdown(messages));
  }
  await progress(0.9);

  const models = new Map<string, unknown>();
  for (const a of analyses) for (const m of a.models ?? []) models.set(`${m.id}@${m.version}`, m);
  await zip.add(
    'metadata.json',
    JSON.stringify(
      {
        format: 'gic-export/1',
        purpose: deps.purpose ?? 'clinical',
        caseId: randomUUID(),
        source: video?.source ?? 'room',
        device: deps.deviceNames && !teaching ? p.device_id : `device-${randomUUID().slice(0, 8)}`,
        durationMs:
          video?.duration_ms === null || video?.duration_ms === undefined ? null : Number(video.duration_ms),
        width: video?.width ?? null,
        height: video?.height ?? null,
        analysesFrom: from,
        analysedFrames: analyses.length,
        models: [...models.values()],
        notes:
          'Times are milliseconds from the start of the video. No patient data, names or dates are included.',
      },
      null,
      2,
    ),
  );
  await zip.add('manifest.json', JSON.stringify({ algorithm: 'sha256', files: [...zip.files] }, null, 2));
}
