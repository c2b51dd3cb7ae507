import { randomUUID } from 'node:crypto';
import { desiredEdgeConfigSchema } from '@gic/shared/config/desired-edge-config.js';
import { readJson } from '@gic/shared/http/request-context.js';
import { Hono } from 'hono';
import { audit, auditObject } from '../audit/audit-log.js';
import { type Database, inTransaction } from '../db/database.js';
import type { CommandSender } from '../devices/command-sender.js';
import { findCommand, insertCommand } from '../devices/commands-repo.js';
import { configCommand } from '../devices/config-command.js';
import { findDeviceConfig, setDesiredConfig } from '../devices/config-repo.js';
import { configState } from '../devices/config-state.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { requireDeviceInScope } from './site-guard.js';

export interface ConfigRoutesOptions {
  db: Database;
  auth: UserAuth;
  sender: CommandSender;
}

/**
 * The device twin: set a device's desired configuration (checked with the edge's own schema, sent as
 * a `config` command) and read it against what the box reports, as in-sync, pending or drifted.
 */
export function configRoutes({ db, auth, sender }: ConfigRoutesOptions) {
  return new Hono<HubEnv>()
    .put('/:id/config', audit('device.config', 'device', 'id'), allow(auth, 'devices.enrol'), async (c) => {
      const deviceId = c.req.param('id');
      await requireDeviceInScope(c, db, deviceId, 'no such device');
      const desired = await readJson(c, desiredEdgeConfigSchema);
      const by = c.get('user')!.username;
      const row = await inTransaction(db, async (tx) => {
        const saved = await setDesiredConfig(tx, { deviceId, desired, by, commandId: randomUUID() });
        const command = configCommand(saved);
        await insertCommand(tx, {
          ...command,
          deviceId,
          issuedAt: saved.desiredAt,
          expiresAt: new Date(command.expiresAt),
          safeDuringProcedure: true,
        });
        return saved;
      });
      const sent = await sender.send(deviceId, configCommand(row));
      auditObject(c, deviceId, {
        version: row.desiredVersion,
        commandId: row.commandId,
        keys: Object.keys(desired),
      });
      c.get('log').info({ deviceId, version: row.desiredVersion, sent }, 'desired configuration set');
      return c.json(
        {
          deviceId,
          desired: row.desired,
          desiredVersion: row.desiredVersion,
          commandId: row.commandId,
          sent,
        },
        200,
      );
    })
    .get(
      '/:id/config',
      audit('device.config-read', 'device', 'id'),
      allow(auth, 'devices.read'),
      async (c) => {
        const deviceId = c.req.param('id');
        await requireDeviceInScope(c, db, deviceId, 'no such device');
        const row = await findDeviceConfig(db, deviceId);
        // The command carrying the latest version: failed means the box refused it, and says why.
        const command = row && (await findCommand(db, deviceId, row.commandId));
        const refused = command?.status === 'failed' ? (command.reason ?? 'no reason given') : undefined;
        const { state, difference } = configState(
          row ? { values: row.desired, version: row.desiredVersion } : null,
          row?.reported ?? null,
          refused,
        );
        return c.json({
          deviceId,
          state,
          desired: row?.desired ?? null,
          desiredVersion: row?.desiredVersion ?? null,
          desiredBy: row?.desiredBy ?? null,
          desiredAt: row?.desiredAt.toISOString() ?? null,
          reported: row?.reported ?? null,
          reportedVersion: row?.reportedVersion ?? null,
          reportedAt: row?.reportedAt?.toISOString() ?? null,
          overridden: row?.overridden ?? [],
          pending: row?.pending ?? [],
          command: command ? { id: command.id, status: command.status, reason: command.reason } : null,
          difference: difference.map(({ kind: _kind, ...d }) => d),
        });
      },
    );
}
