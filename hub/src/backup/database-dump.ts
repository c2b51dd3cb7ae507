import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { createDatabase } from '../db/database.js';
import { MIGRATIONS_DIR, migrate } from '../db/migrate.js';

/**
 * The database as a file of its own format, read in one snapshot: gzip'd lines, per table
 * `T\t{"table","columns"}`, then `R\t<row as JSON>` per row, then `E\t{"table","rows"}`. Written by
 * node-postgres alone, so that it needs no pg_dump of the server's version (the npm package of the
 * embedded PostgreSQL ships none, and a system pg_dump older than the server refuses it). The schema
 * is not in the file: a restore rebuilds it with the hub's own migrations (the same ones the backup's
 * database had applied), so the audit log's trigger, the gic_app role and its grants come back exactly
 * as a fresh hub makes them. Tables are written parents first, so a restore loads them in that order
 * with every constraint checked.
 */
export interface DatabaseDump {
  /** Migrations the database had applied (schema_migrations), in order. */
  migrations: string[];
  /** Rows per table. */
  tables: Record<string, number>;
  /** Each sequence's value in the snapshot (null: never used). */
  sequences: Record<string, string | null>;
}

const BATCH_ROWS = 5000;

/** Tables of the public schema, parents before the tables that refer to them (foreign keys). */
async function tablesInOrder(client: pg.ClientBase): Promise<string[]> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relname <> 'schema_migrations' ORDER BY c.relname`,
  );
  const { rows: refs } = await client.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = 'public' AND c.conrelid <> c.confrelid`,
  );
  const names = tables.map((t) => t.name);
  const parents = new Map(names.map((n) => [n, new Set<string>()]));
  for (const r of refs) parents.get(unquote(r.child))?.add(unquote(r.parent));
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (placed.has(name) || visiting.has(name)) return; // a cycle: its constraints decide at load
    visiting.add(name);
    for (const p of parents.get(name) ?? []) visit(p);
    visiting.delete(name);
    placed.add(name);
    ordered.push(name);
  };
  for (const n of names) visit(n);
  return ordered;
}

const unquote = (name: string) => name.replace(/^public\./, '').replace(/^"(.*)"$/, '$1');
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Writes the database at `url` (as its owner) to `file`, in one REPEATABLE READ snapshot, so that a
 * running hub may go on writing meanwhile. `progress` hears each table as it is done.
 */
export async function dumpDatabase(
  url: string,
  file: string,
  progress: (line: string) => void = () => {},
): Promise<DatabaseDump & { sha256: string; bytes: number }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  const gzip = createGzip({ level: 3 });
  const out = createWriteStream(file, { mode: 0o600 });
  const hash = createHash('sha256');
  let bytes = 0;
  gzip.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  gzip.pipe(out);
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await new Promise((r) => gzip.once('drain', r));
  };
  const dump: DatabaseDump = { migrations: [], tables: {}, sequences: {} };
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: schema } = await client.query<{ t: string | null }>(
      "SELECT to_regclass('public.schema_migrations')::text AS t",
    );
    if (!schema[0]?.t)
      throw new Error('the database has no hub schema (no schema_migrations): has a hub ever started on it?');
    dump.migrations = (
      await client.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')
    ).rows.map((r) => r.name);
    for (const table of await tablesInOrder(client)) {
      const { rows: cols } = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
           AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
        [`public.${ident(table)}`],
      );
      await write(`T\t${JSON.stringify({ table, columns: cols.map((c) => c.name) })}`);
      await client.query(
        `DECLARE dump NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS r FROM public.${ident(table)} t`,
      );
      let n = 0;
      let said = Date.now();
      for (;;) {
        const { rows } = await client.query<{ r: string }>(`FETCH ${BATCH_ROWS} FROM dump`);
        if (rows.length) await write(rows.map((row) => `R\t${row.r}`).join('\n'));
        n += rows.length;
        if (rows.length < BATCH_ROWS) break;
        if (Date.now() - said > 5_000) {
          said = Date.now();
          progress(`database: ${table} ${n} rows so far`);
        }
      }
      await client.query('CLOSE dump');
      await write(`E\t${JSON.stringify({ table, rows: n })}`);
      dump.tables[table] = n;
      if (n) progress(`database: ${table} ${n} rows`);
    }
    const { rows: seqs } = await client.query<{ name: string; value: string | null }>(
      `SELECT sequencename AS name, last_value::text AS value FROM pg_sequences WHERE schemaname = 'public'`,
    );
    for (const s of seqs) dump.sequences[s.name] = s.value;
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => {});
    gzip.end();
    await finished(out);
  }
  return { ...dump, sha256: hash.digest('hex'), bytes };
}

/** The backup's migrations this hub does not have (a backup made by a newer hub). */
export function missingMigrations(migrations: string[], available: string[]): string[] {
  const have = new Set(available);
  return migrations.filter((m) => !have.has(m));
}

/**
 * Replaces everything in the database at `url` (as its owner) with the dump in `file`: drops the
 * public schema (and the job queue's), applies the backup's migrations (the schema, the audit log's
 * trigger and the gic_app grants as the hub makes them), empties what the migrations seeded, loads
 * every table in the dump's order and sets each sequence. All in one transaction after the drop:
 * an interrupted restore leaves no half-loaded table, only a database to restore again.
 */
export async function restoreDatabase(
  url: string,
  file: string,
  dump: Pick<DatabaseDump, 'migrations' | 'sequences'>,
  available: string[],
  progress: (line: string) => void = () => {},
): Promise<Record<string, number>> {
  const missing = missingMigrations(dump.migrations, available);
  if (missing.length)
    throw new Error(
      `the backup was made by a newer hub: this one lacks migrations ${missing.join(', ')}; restore with the hub version named in the manifest`,
    );
  // Only the backup's migrations: the hub applies its later ones when it starts.
  const only = mkdtempSync(join(tmpdir(), 'gic-restore-migrations-'));
  for (const m of dump.migrations) symlinkSync(join(MIGRATIONS_DIR, m), join(only, m));
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  const loaded: Record<string, number> = {};
  try {
    await client.query('DROP SCHEMA IF EXISTS pgboss CASCADE');
    await client.query('DROP SCHEMA public CASCADE');
    await client.query('CREATE SCHEMA public');
    await client.query('GRANT USAGE ON SCHEMA public TO PUBLIC');
    const owner = createDatabase(url, 1);
    try {
      await migrate(owner, only);
    } finally {
      await owner.end();
      rmSync(only, { recursive: true, force: true });
    }
    await client.query('BEGIN');
    const { rows: seeded } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname NOT IN ('schema_migrations', 'audit_log')`,
    );
    if (seeded.length)
      await client.query(`TRUNCATE ${seeded.map((t) => `public.${ident(t.name)}`).join(', ')}`);
    let table = '';
    let columns: string[] = [];
    let batch: string[] = [];
    let batchBytes = 0;
    let said = Date.now();
    const flush = async () => {
      if (!batch.length) return;
      const list = columns.map(ident).join(', ');
      await client.query(
        `INSERT INTO public.${ident(table)} (${list}) OVERRIDING SYSTEM VALUE
           SELECT ${list} FROM jsonb_populate_recordset(NULL::public.${ident(table)}, $1::jsonb)`,
        [`[${batch.join(',')}]`],
      );
      batch = [];
      batchBytes = 0;
    };
    const lines = createInterface({
      input: createReadStream(file).pipe(createGunzip()),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      const kind = line.slice(0, 2);
      const body = line.slice(2);
      if (kind === 'R\t') {
        batch.push(body);
        batchBytes += body.length;
        loaded[table] = (loaded[table] ?? 0) + 1;
        if (batch.length >= BATCH_ROWS || batchBytes > 8 * 1024 * 1024) {
          await flush();
          if (Date.now() - said > 5_000) {
            said = Date.now();
            progress(`database: ${table} ${loaded[table]} rows so far`);
          }
        }
      } else if (kind === 'T\t') {
        const head = JSON.parse(body) as { table: string; columns: string[] };
        table = head.table;
        columns = head.columns;
        loaded[table] = 0;
      } else if (kind === 'E\t') {
        await flush();
        const end = JSON.parse(body) as { table: string; rows: number };
        if (end.table !== table || end.rows !== loaded[table])
          throw new Error(`the database dump is inconsistent at table ${end.table}`);
        if (end.rows) progress(`database: ${table} ${end.rows} rows`);
      } else if (line) throw new Error('the database dump has a line it does not know');
    }
    for (const [name, value] of Object.entries(dump.sequences)) {
      await client.query(
        value === null
          ? 'SELECT setval($1::regclass, 1, false)'
          : 'SELECT setval($1::regclass, $2::bigint, true)',
        value === null ? [`public.${ident(name)}`] : [`public.${ident(name)}`, value],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
  return loaded;
}
