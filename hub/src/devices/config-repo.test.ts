import { randomUUID } from 'node:crypto';
import type { EdgeConfigFile } from '@gic/shared/config/edge-config-file.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { ConfigReport } from '@gic/shared/messages/commands.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { IngestService } from '../ingest/ingest-service.js';
import { insertCommand } from './commands-repo.js';
import { configCommand } from './config-command.js';
import { findDeviceConfig, setDesiredConfig, unconfirmedConfig } from './config-repo.js';

const device = 'edge-twin111';

describe('device twin records (against PostgreSQL, through the ingest)', () => {
  let db: Database;
  let ingest: IngestService;
  const desire = async (values: EdgeConfigFile) => {
    const row = await setDesiredConfig(db, {
      deviceId: device,
      desired: values,
      by: 'admin',
      commandId: randomUUID(),
    });
    const command = configCommand(row);
    await insertCommand(db, {
      ...command,
      deviceId: device,
      issuedAt: row.desiredAt,
      expiresAt: new Date(command.expiresAt),
      safeDuringProcedure: true,
    });
    return row;
  };
  const report = (
    commandId: string,
    r: Partial<ConfigReport> & { version: number },
    at: Date,
    status = 'succeeded',
  ) =>
    ingest.handle(
      `gic/v1/d/${device}/cmd/result`,
      Buffer.from(
        JSON.stringify({
          commandId,
          status,
          at: at.toISOString(),
          detail: {
            applied: [],
            deferred: [],
            overridden: [],
            overriddenBy: {},
            restartRequired: [],
            values: {},
            ...r,
          },
        }),
      ),
    );

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [device]);
    ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
  });
  afterAll(() => db.end());

  it('bumps the version with each desired configuration, and keeps the box’s reports moving forward only', async () => {
    const first = await desire({ alerts: { sensitivity: 0.7 } });
    const second = await desire({ alerts: { sensitivity: 0.8 }, procedures: { autoEndSeconds: 45 } });
    expect([first.desiredVersion, second.desiredVersion]).toEqual([1, 2]);
    expect(await unconfirmedConfig(db, device)).toMatchObject({
      desiredVersion: 2,
      commandId: second.commandId,
    });

    const t = Date.now();
    await report(
      second.commandId,
      { version: 2, deferred: ['procedures.autoEndSeconds'] },
      new Date(t),
      'accepted',
    );
    expect(await findDeviceConfig(db, device)).toMatchObject({
      reportedVersion: 2,
      pending: ['procedures.autoEndSeconds'],
    });
    // Still deferred: sent again when the box comes online.
    expect(await unconfirmedConfig(db, device)).toBeDefined();
    await report(
      second.commandId,
      { version: 2, applied: ['procedures.autoEndSeconds'] },
      new Date(t + 1000),
    );
    // Late and older ones change nothing: the first version's, and the earlier report redelivered.
    await report(first.commandId, { version: 1 }, new Date(t + 2000));
    await report(
      second.commandId,
      { version: 2, deferred: ['procedures.autoEndSeconds'] },
      new Date(t),
      'accepted',
    );
    const row = await findDeviceConfig(db, device);
    expect(row).toMatchObject({ reportedVersion: 2, pending: [] });
    expect(row!.reported!.applied).toEqual(['procedures.autoEndSeconds']);
    expect(await unconfirmedConfig(db, device)).toBeUndefined();
    const { rows } = await db.query('SELECT status FROM device_commands WHERE id = $1', [second.commandId]);
    expect(rows).toEqual([{ status: 'succeeded' }]);
  });
});
