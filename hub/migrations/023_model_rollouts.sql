-- Models uploaded to the hub (each file in the object store under models/{id}/{version}/{name}, its
-- SHA-256 checked against the manifest as it arrived) and their rollouts to devices: a canary group
-- first, then a percentage of the rest, stopped when `max_failures` devices fail.
CREATE TABLE models (
  id text NOT NULL,
  version text NOT NULL,
  task text NOT NULL,
  manifest jsonb NOT NULL,
  -- Names of the manifest's files stored so far; `ready` once every one is.
  stored_files text[] NOT NULL DEFAULT '{}',
  ready boolean NOT NULL DEFAULT false,
  uploaded_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, version)
);

CREATE TABLE rollouts (
  id uuid PRIMARY KEY,
  model_id text NOT NULL,
  version text NOT NULL,
  tag text,
  canary integer NOT NULL CHECK (canary >= 0),
  percent integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
  max_failures integer NOT NULL CHECK (max_failures >= 1),
  max_latency_ms integer NOT NULL,
  -- running -> completed | aborted (max_failures reached) | rolled-back; paused <-> running.
  status text NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'paused', 'completed', 'aborted', 'rolled-back')),
  stage text NOT NULL DEFAULT 'canary' CHECK (stage IN ('canary', 'percent', 'done')),
  reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (model_id, version) REFERENCES models (id, version)
);

-- The devices a rollout chose, in the order it takes them (`position`), and where each stands.
CREATE TABLE rollout_devices (
  rollout_id uuid NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  stage text NOT NULL CHECK (stage IN ('canary', 'percent')),
  position integer NOT NULL,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'deferred', 'installing', 'healthy', 'failed', 'rolling-back', 'rolled-back')),
  reason text,
  command_id uuid,
  rollback_command_id uuid,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, device_id)
);
CREATE INDEX rollouts_active ON rollouts (status) WHERE status IN ('running', 'paused', 'aborted', 'rolled-back');

-- The new command kind, and what a command carries beyond its kind (an install's URLs and hashes),
-- kept so that a command sent again when its device reconnects is the same command.
ALTER TABLE device_commands DROP CONSTRAINT device_commands_kind_check;
ALTER TABLE device_commands ADD CONSTRAINT device_commands_kind_check
  CHECK (kind IN ('restart-capture', 'collect-logs', 'self-test', 'config', 'install-model'));
ALTER TABLE device_commands ADD COLUMN payload jsonb;
