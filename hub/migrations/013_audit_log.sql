-- The audit log: who did what to which object, from where, when, and how it ended. Append-only for the
-- application: the role the API connects as (gic_app) may only INSERT (without choosing id or time) and
-- SELECT it; a trigger refuses UPDATE and TRUNCATE from anyone, and DELETE except by the retention
-- function below. Migrations run as the tables' owner; see README "Audit log".

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('admin', 'reviewer', 'trainee', 'operator', 'auditor'));

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'device', 'service', 'anonymous')),
  actor_id text,
  actor_name text,
  actor_role text,
  -- e.g. procedure.read, video.play, export.download, user.create
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$'),
  object_type text,
  object_id text,
  outcome text NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
  address text,
  detail jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- The shortest retention anyone may purge to, whatever GIC_AUDIT_RETENTION_DAYS says.
CREATE FUNCTION audit_log_min_retention() RETURNS interval LANGUAGE sql IMMUTABLE
  AS $$ SELECT interval '365 days' $$;

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE'
     AND current_setting('gic.audit_purge', true) = 'on'
     AND OLD.at < now() - audit_log_min_retention() THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Retention: deletes the rows older than `keep_days` (at least the minimum above), as the owner.
CREATE FUNCTION audit_log_purge(keep_days integer) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  removed bigint;
BEGIN
  IF keep_days IS NULL OR make_interval(days => keep_days) < audit_log_min_retention() THEN
    RAISE EXCEPTION 'audit log retention of % days is below the minimum of %', keep_days, audit_log_min_retention()
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('gic.audit_purge', 'on', true);
  DELETE FROM audit_log WHERE at < now() - make_interval(days => keep_days);
  GET DIAGNOSTICS removed = ROW_COUNT;
  PERFORM set_config('gic.audit_purge', 'off', true);
  RETURN removed;
END $$;
REVOKE ALL ON FUNCTION audit_log_purge(integer) FROM PUBLIC;

-- The application's role: everything it needs on every table, but only INSERT and SELECT on audit_log.
-- Where the migrating user may not create roles (an external PostgreSQL), this is left to the operator.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gic_app') THEN
    BEGIN
      CREATE ROLE gic_app NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- another database of the cluster made it
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'gic_app not created (no CREATEROLE): grant its privileges by hand, see README';
        RETURN;
    END;
  END IF;
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO gic_app', current_database());
  GRANT USAGE ON SCHEMA public TO gic_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gic_app;
  GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO gic_app;
  -- Tables and sequences later migrations make (as the same owner) get the same.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gic_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO gic_app;
  REVOKE ALL ON audit_log FROM gic_app;
  GRANT SELECT ON audit_log TO gic_app;
  GRANT INSERT (actor_kind, actor_id, actor_name, actor_role, action, object_type, object_id, outcome, address, detail)
    ON audit_log TO gic_app;
  REVOKE ALL ON SEQUENCE audit_log_id_seq FROM gic_app;
  GRANT USAGE ON SEQUENCE audit_log_id_seq TO gic_app;
  GRANT EXECUTE ON FUNCTION audit_log_purge(integer) TO gic_app;
END $$;
