import { randomUUID } from 'node:crypto';
import { readJson } from '@gic/shared/http/request-context.js';
import { COMMAND_KINDS, type DeviceCommand } from '@gic/shared/messages/commands.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import type { Database } from '../db/database.js';
import type { CommandSender } from '../devices/command-sender.js';
import { addCommandDetail, findCommand, insertCommand, listCommands } from '../devices/commands-repo.js';
import type { ObjectStore } from '../storage/object-store.js';
import { allow, requireDevice, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { requireDeviceInScope } from './site-guard.js';

/** `POST /api/v1/devices/{id}/commands`. */
export const commandRequestSchema = z
  .object({
    /**
     * `config` is sent by PUT /devices/{id}/config only (it carries the desired configuration), and
     * `install-model` by a rollout only.
     */
    kind: z
      .enum(COMMAND_KINDS)
      .exclude(['config'])
      .refine((k) => k !== 'install-model', 'install-model is sent by a rollout (POST /api/v1/rollouts)'),
    /** How long the box may take to start it (s); past that it answers `expired`. */
    ttlSeconds: z.number().int().min(1).max(86_400).default(300),
    /** Run it even while a procedure is in progress (a box refuses otherwise). */
    safeDuringProcedure: z.boolean().default(false),
  })
  .strict();

/** `POST /api/v1/devices/{id}/commands/{commandId}/logs`, sent by the device itself. */
export const commandLogsSchema = z.object({
  /** The tail of the box's log (JSON lines). */
  log: z.string().max(600 * 1024),
  /** Its configuration, secrets removed. */
  config: z.record(z.string(), z.unknown()),
});

export interface CommandRoutesOptions {
  db: Database;
  store: ObjectStore;
  auth: UserAuth;
  sender: CommandSender;
}

/**
 * Remote commands (fleet): issue one to a device of one's sites and list a device's commands with what
 * the box answered; and the device's own upload of the logs a `collect-logs` command gathered.
 */
export function commandRoutes({ db, store, auth, sender }: CommandRoutesOptions) {
  const fleet = allow(auth, 'devices.enrol');
  const logsKey = (deviceId: string, commandId: string) => `device-logs/${deviceId}/${commandId}.json`;
  return new Hono<HubEnv>()
    .post('/:id/commands', audit('device.command', 'device', 'id'), fleet, async (c) => {
      const deviceId = c.req.param('id');
      await requireDeviceInScope(c, db, deviceId, 'no such device');
      const request = await readJson(c, commandRequestSchema);
      const issuedAt = new Date();
      const command: DeviceCommand = {
        id: randomUUID(),
        kind: request.kind,
        issuedAt: issuedAt.toISOString(),
        expiresAt: new Date(issuedAt.getTime() + request.ttlSeconds * 1000).toISOString(),
        ...(request.safeDuringProcedure ? { safeDuringProcedure: true } : {}),
        issuedBy: c.get('user')!.username,
      };
      const saved = await insertCommand(db, {
        ...command,
        deviceId,
        issuedAt,
        expiresAt: new Date(command.expiresAt),
        safeDuringProcedure: request.safeDuringProcedure,
      });
      const sent = await sender.send(deviceId, command);
      auditObject(c, deviceId, {
        commandId: command.id,
        kind: command.kind,
        safeDuringProcedure: request.safeDuringProcedure,
      });
      c.get('log').info({ deviceId, commandId: command.id, kind: command.kind, sent }, 'command issued');
      return c.json({ ...saved, sent }, 201);
    })
    .get(
      '/:id/commands',
      audit('device.commands', 'device', 'id'),
      allow(auth, 'devices.read'),
      async (c) => {
        const deviceId = c.req.param('id');
        await requireDeviceInScope(c, db, deviceId, 'no such device');
        const items = await listCommands(db, deviceId);
        // Collected logs are linked by a short-lived URL, signed at each read.
        for (const item of items) {
          const key = item.detail?.logsKey;
          if (typeof key === 'string')
            item.detail = { ...item.detail, logsUrl: await store.presignGet(key, { expiresIn: 900 }) };
        }
        return c.json({ items });
      },
    )
    .post(
      '/:id/commands/:commandId/logs',
      audit('device.command-logs', 'device', 'id'),
      requireDevice(db),
      async (c) => {
        const deviceId = c.req.param('id');
        const commandId = c.req.param('commandId');
        if (c.get('deviceId') !== deviceId)
          throw new HTTPException(403, { message: 'a device uploads only its own logs' });
        if (!z.uuid().safeParse(commandId).success)
          throw new HTTPException(400, { message: 'command id must be a UUID' });
        const command = await findCommand(db, deviceId, commandId);
        if (command?.kind !== 'collect-logs')
          throw new HTTPException(404, { message: 'no such collect-logs command' });
        const body = await readJson(c, commandLogsSchema);
        const key = logsKey(deviceId, commandId);
        const text = JSON.stringify({ deviceId, commandId, at: new Date().toISOString(), ...body });
        await store.put(key, text, 'application/json');
        await addCommandDetail(db, deviceId, commandId, { logsKey: key, logsBytes: Buffer.byteLength(text) });
        auditObject(c, deviceId, { commandId, bytes: Buffer.byteLength(text) });
        return c.json({ key, bytes: Buffer.byteLength(text) }, 201);
      },
    );
}
