-- The device twin: the configuration the hub wants a box to run (a part of the edge's configuration
-- file, validated with the edge's own schema) and what the box reports it runs. `desired_version`
-- goes up with each change; the box reports the version it took. `overridden`: keys the box's own
-- environment or file wins on; `pending`: keys the box defers until its procedure ends.
-- `command_id`: the `config` command that carries the latest desired version (sent again, same id,
-- when the box comes online without having confirmed it).
CREATE TABLE device_config (
  device_id text PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  desired jsonb NOT NULL,
  desired_version integer NOT NULL,
  desired_by text NOT NULL,
  desired_at timestamptz NOT NULL DEFAULT now(),
  command_id uuid NOT NULL,
  reported jsonb,
  reported_version integer,
  reported_at timestamptz,
  overridden text[] NOT NULL DEFAULT '{}',
  pending text[] NOT NULL DEFAULT '{}'
);

-- A desired configuration travels as a remote command of its own kind.
ALTER TABLE device_commands DROP CONSTRAINT device_commands_kind_check;
ALTER TABLE device_commands ADD CONSTRAINT device_commands_kind_check
  CHECK (kind IN ('restart-capture', 'collect-logs', 'self-test', 'config'));
