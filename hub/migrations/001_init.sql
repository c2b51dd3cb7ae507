-- GI Copilot hub schema, version 1. Never edit after it lands: add a new numbered file.

CREATE TABLE hub_settings (
  key text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'reviewer', 'operator')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrolment_tokens (
  token_hash text PRIMARY KEY,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  device_id text
);

CREATE TABLE devices (
  id text PRIMARY KEY,
  name text NOT NULL,
  public_jwk jsonb NOT NULL,
  software_version text,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_seen_at timestamptz,
  status text NOT NULL DEFAULT 'never-connected'
);

-- Idempotency log: one row per event a device ever sent, whatever its type.
CREATE TABLE device_events (
  device_id text NOT NULL REFERENCES devices (id),
  event_id uuid NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  procedure_id uuid,
  event_ts timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, event_id)
);
CREATE INDEX device_events_seq ON device_events (device_id, seq);

CREATE TABLE procedures (
  id uuid PRIMARY KEY,
  device_id text NOT NULL REFERENCES devices (id),
  started_at timestamptz,
  ended_at timestamptz,
  end_reason text,
  source_label text,
  -- Frames the device says it analysed (from procedure.ended), to tell when all have arrived.
  device_frame_count integer,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX procedures_recent ON procedures ((coalesce(started_at, created_at)) DESC);

CREATE TABLE frame_analyses (
  device_id text NOT NULL,
  event_id uuid NOT NULL,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  frame_index integer NOT NULL,
  pts_ms double precision NOT NULL,
  findings_count integer NOT NULL,
  privacy_region_count integer NOT NULL,
  analysis jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, event_id)
);
CREATE INDEX frame_analyses_procedure ON frame_analyses (procedure_id, frame_index);

CREATE TABLE recordings (
  id uuid PRIMARY KEY,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  device_id text NOT NULL REFERENCES devices (id),
  object_key text NOT NULL UNIQUE,
  upload_id text,
  size_bytes bigint NOT NULL,
  part_size integer NOT NULL,
  sha256_claimed text NOT NULL,
  sha256_verified text,
  status text NOT NULL CHECK (status IN ('uploading', 'verifying', 'available', 'corrupt', 'aborted')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_procedure ON recordings (procedure_id, created_at DESC);

-- Payloads that failed validation, kept with the reason for an operator to read.
CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  device_id text,
  topic text NOT NULL,
  payload text NOT NULL,
  reason text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
