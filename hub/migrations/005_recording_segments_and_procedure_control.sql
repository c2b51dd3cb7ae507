-- A procedure's recording arrives as segments. The edge seals each one (size, SHA-256) and marks the
-- last `final`; the procedure's recording is available once every sealed segment is verified here.
CREATE TABLE recording_seals (
  device_id text NOT NULL REFERENCES devices (id),
  -- The edge's id of the segment (the hub's recordings rows have their own ids).
  recording_id uuid NOT NULL,
  procedure_id uuid NOT NULL REFERENCES procedures (id),
  segment_index integer NOT NULL,
  status text NOT NULL CHECK (status IN ('ready', 'failed')),
  final boolean NOT NULL,
  size_bytes bigint,
  sha256 text,
  error text,
  -- Device sequence number of the seal applied last, so an older one never overwrites a newer one.
  last_seq bigint NOT NULL,
  PRIMARY KEY (device_id, recording_id)
);
CREATE INDEX recording_seals_procedure ON recording_seals (procedure_id, segment_index);

-- Who started and ended a procedure, and what started it (auto, finding, operator).
ALTER TABLE procedures ADD COLUMN operator text;
ALTER TABLE procedures ADD COLUMN start_trigger text;
ALTER TABLE procedures ADD COLUMN ended_by text;

-- Procedures recorded before segments: their one recording becomes segment 0, final.
INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes, sha256,
  error, last_seq)
SELECT p.device_id, gen_random_uuid(), p.id, 0, p.recording_sealed, true, r.size_bytes, r.sha256_claimed,
  p.recording_error, 0
  FROM procedures p
  LEFT JOIN LATERAL (
    SELECT size_bytes, sha256_claimed FROM recordings WHERE procedure_id = p.id ORDER BY created_at DESC LIMIT 1
  ) r ON true
 WHERE p.recording_sealed IN ('ready', 'failed');
