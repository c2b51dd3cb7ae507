import type { EdgeDatabase } from '../store/edge-database.js';

export type RecordingStatus = 'recording' | 'ready' | 'uploading' | 'verifying' | 'verified' | 'failed';

export interface RecordingRow {
  id: string;
  procedure_id: string;
  path: string;
  size_bytes: number | null;
  sha256: string | null;
  status: RecordingStatus;
  upload_id: string | null;
  part_size: number | null;
  error: string | null;
  segment_index: number;
  /** 1 when this is the procedure's last segment (known when it closes). */
  final: number;
  /** Video the sealed segment holds (ms), as the recorder counted its frames; null if not known. */
  duration_ms: number | null;
}

/** What a procedure's recording amounts to, for the in-room screen. */
export interface RecordingSummary {
  segments: number;
  /** Bytes of the sealed segments. */
  bytes: number;
  /** The least advanced state of its segments: still being written, sealed, uploading, verified by the hub, or failed. */
  state: 'none' | 'recording' | 'sealed' | 'uploading' | 'verified' | 'failed';
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  sha256: string;
  sizeBytes: number;
}

/** The edge's own record of recordings and of each finished upload part. */
export class RecordingsStore {
  constructor(private readonly db: EdgeDatabase) {}

  /** Runs `work` in one SQLite transaction (with the outbox, say). */
  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  /** A segment file the recorder is writing, as segment `segmentIndex` of its procedure. */
  add(id: string, procedureId: string, path: string, segmentIndex = 0): void {
    const now = new Date().toISOString();
    this.db
      .prepare(
        "INSERT INTO recordings (id, procedure_id, path, status, segment_index, final, created_at, updated_at) VALUES (?, ?, ?, 'recording', ?, 0, ?, ?)",
      )
      .run(id, procedureId, path, segmentIndex, now, now);
  }

  /** How many segments a procedure has so far (the next one's index). */
  segmentCount(procedureId: string): number {
    const row = this.db
      .prepare('SELECT count(*) AS n FROM recordings WHERE procedure_id = ?')
      .get(procedureId) as { n: number };
    return row.n;
  }

  /** The procedure's segment with the highest index, if any. */
  lastSegment(procedureId: string): RecordingRow | undefined {
    return this.db
      .prepare('SELECT * FROM recordings WHERE procedure_id = ? ORDER BY segment_index DESC LIMIT 1')
      .get(procedureId) as RecordingRow | undefined;
  }

  /** Every path a recording row still points at, to tell orphan files from kept ones. */
  knownPaths(): Set<string> {
    return new Set(
      (this.db.prepare("SELECT path FROM recordings WHERE path <> ''").all() as { path: string }[]).map(
        (r) => r.path,
      ),
    );
  }

  markReady(id: string, sizeBytes: number, sha256: string, final: boolean, durationMs?: number): void {
    this.db
      .prepare(
        "UPDATE recordings SET status = 'ready', size_bytes = ?, sha256 = ?, final = ?, duration_ms = ?, updated_at = ? WHERE id = ?",
      )
      .run(sizeBytes, sha256, final ? 1 : 0, durationMs ?? null, new Date().toISOString(), id);
  }

  /** The procedure's segments summed up (`none` when it recorded nothing). */
  summary(procedureId: string): RecordingSummary {
    const rows = this.db
      .prepare('SELECT status, size_bytes FROM recordings WHERE procedure_id = ?')
      .all(procedureId) as { status: RecordingStatus; size_bytes: number | null }[];
    const has = (...s: RecordingStatus[]) => rows.some((r) => s.includes(r.status));
    const state: RecordingSummary['state'] =
      rows.length === 0
        ? 'none'
        : has('failed')
          ? 'failed'
          : has('recording')
            ? 'recording'
            : has('ready')
              ? 'sealed'
              : has('uploading', 'verifying')
                ? 'uploading'
                : 'verified';
    return { segments: rows.length, bytes: rows.reduce((n, r) => n + (r.size_bytes ?? 0), 0), state };
  }

  markFinal(id: string, final: boolean): void {
    this.db.prepare('UPDATE recordings SET final = ? WHERE id = ?').run(final ? 1 : 0, id);
  }

  setStatus(
    id: string,
    status: RecordingStatus,
    fields: { uploadId?: string; partSize?: number; error?: string } = {},
  ) {
    this.db
      .prepare(
        `UPDATE recordings SET status = ?, upload_id = coalesce(?, upload_id), part_size = coalesce(?, part_size),
           error = ?, updated_at = ? WHERE id = ?`,
      )
      .run(
        status,
        fields.uploadId ?? null,
        fields.partSize ?? null,
        fields.error ?? null,
        new Date().toISOString(),
        id,
      );
  }

  get(id: string): RecordingRow | undefined {
    return this.db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as RecordingRow | undefined;
  }

  /** Recordings still to upload or verify, oldest first. */
  pending(): RecordingRow[] {
    return this.db
      .prepare(
        "SELECT * FROM recordings WHERE status IN ('ready', 'uploading', 'verifying') ORDER BY created_at",
      )
      .all() as RecordingRow[];
  }

  /** Recordings left `recording` by a crash. */
  unfinished(): RecordingRow[] {
    return this.db.prepare("SELECT * FROM recordings WHERE status = 'recording'").all() as RecordingRow[];
  }

  parts(id: string): UploadedPart[] {
    return this.db
      .prepare(
        'SELECT part_number AS partNumber, etag, sha256, size_bytes AS sizeBytes FROM upload_parts WHERE recording_id = ? ORDER BY part_number',
      )
      .all(id) as UploadedPart[];
  }

  addPart(id: string, part: UploadedPart): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO upload_parts (recording_id, part_number, etag, sha256, size_bytes) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, part.partNumber, part.etag, part.sha256, part.sizeBytes);
  }

  /** Forgets parts of an upload the hub no longer knows (a new upload id starts from part 1). */
  clearParts(id: string): void {
    this.db.prepare('DELETE FROM upload_parts WHERE recording_id = ?').run(id);
  }
}
