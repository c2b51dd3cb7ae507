-- Videos uploaded by users, batch processing runs and their stages, key frames, summaries, exports.

-- An uploaded video becomes a procedure of this device, as a recording from a room is one of its
-- room's device. It is revoked, so nothing can ever sign in as it.
INSERT INTO devices (id, name, public_jwk, revoked_at, status)
VALUES ('upload', 'Uploaded videos', '{}'::jsonb, now(), 'virtual')
ON CONFLICT (id) DO NOTHING;
-- Who uploaded a procedure's video (a user name), for uploads only.
ALTER TABLE procedures ADD COLUMN uploaded_by text;

-- A resumable upload: the bytes go to an S3 multipart upload, one part per chunk, so that a client
-- can resume at `bytes_received` after a dropped connection or a hub restart.
CREATE TABLE video_uploads (
  id uuid PRIMARY KEY,
  created_by uuid NOT NULL REFERENCES users (id),
  object_key text NOT NULL UNIQUE,
  s3_upload_id text NOT NULL,
  bytes_total bigint NOT NULL,
  bytes_received bigint NOT NULL DEFAULT 0,
  part_size integer NOT NULL,
  -- [{partNumber, etag, sha256}] for every part the store accepted, in order.
  parts jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL CHECK (status IN ('receiving', 'probing', 'done', 'refused', 'aborted')),
  error text,
  procedure_id uuid REFERENCES procedures (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The video of a procedure as the hub knows it: the upload (raw until de-identified) or a room's
-- recording (already masked on the edge), with what GStreamer found in it.
CREATE TABLE videos (
  procedure_id uuid PRIMARY KEY REFERENCES procedures (id),
  source text NOT NULL CHECK (source IN ('upload', 'room')),
  raw_key text,
  raw_deleted_at timestamptz,
  masked_key text,
  masked_sha256 text,
  masked_bytes bigint,
  masked_verified_at timestamptz,
  duration_ms bigint,
  width integer,
  height integer,
  fps real,
  bytes bigint,
  sha256 text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One run of batch processing of a procedure; its stages run as pg-boss jobs, one after another.
CREATE TABLE processing_runs (
  id uuid PRIMARY KEY,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  state text NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'failed', 'cancelled')),
  stage text,
  requested_by text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX processing_runs_procedure ON processing_runs (procedure_id, created_at DESC);

CREATE TABLE processing_stages (
  run_id uuid NOT NULL REFERENCES processing_runs (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name IN ('extract', 'analyse', 'summary', 'export')),
  state text NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'failed', 'cancelled')),
  -- 0..1 of this stage.
  progress real NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  job_id uuid,
  started_at timestamptz,
  finished_at timestamptz,
  error text,
  PRIMARY KEY (run_id, name)
);

-- Frames a run sampled (kept in the object store until analysed) and what the engine found in each.
CREATE TABLE batch_frames (
  run_id uuid NOT NULL REFERENCES processing_runs (id) ON DELETE CASCADE,
  frame_index integer NOT NULL,
  t_ms integer NOT NULL,
  motion real NOT NULL,
  object_key text,
  analysis jsonb,
  PRIMARY KEY (run_id, frame_index)
);

-- Masked key frames in the object store.
CREATE TABLE keyframes (
  run_id uuid NOT NULL REFERENCES processing_runs (id) ON DELETE CASCADE,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  t_ms integer NOT NULL,
  reason text NOT NULL,
  object_key text NOT NULL,
  deleted_at timestamptz,
  PRIMARY KEY (run_id, t_ms)
);
CREATE INDEX keyframes_procedure ON keyframes (procedure_id);

CREATE TABLE video_summaries (
  procedure_id uuid PRIMARY KEY REFERENCES procedures (id),
  run_id uuid NOT NULL REFERENCES processing_runs (id) ON DELETE CASCADE,
  summary jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE video_exports (
  id uuid PRIMARY KEY,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  state text NOT NULL CHECK (state IN ('waiting', 'active', 'ready', 'failed')),
  object_key text,
  bytes bigint,
  sha256 text,
  error text,
  requested_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  deleted_at timestamptz
);
CREATE INDEX video_exports_procedure ON video_exports (procedure_id, created_at DESC);

-- Queues an admin paused: every worker process stops taking their jobs until resumed.
CREATE TABLE job_queue_pauses (
  queue text PRIMARY KEY,
  paused_by text,
  paused_at timestamptz NOT NULL DEFAULT now()
);
