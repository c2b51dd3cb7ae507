import { randomUUID } from 'node:crypto';
import { readJson } from '@gic/shared/http/request-context.js';
import { modelIdSchema, modelVersionSchema } from '@gic/shared/messages/model-install.js';
import { type Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { audit, auditObject } from '../audit/audit-log.js';
import { type Database, inTransaction } from '../db/database.js';
import { deviceTagSchema } from '../devices/device-tags.js';
import { listDevices } from '../devices/devices-repo.js';
import { findModel } from '../models/models-repo.js';
import { chooseDevices, type RolloutStatus } from '../models/rollout-plan.js';
import {
  findRollout,
  insertRollout,
  listRollouts,
  rolloutDevices,
  setRolloutStatus,
} from '../models/rollouts-repo.js';
import { allow, type UserAuth } from './auth-middleware.js';
import type { HubEnv } from './hub-env.js';
import { siteScope } from './site-guard.js';

/** `POST /api/v1/rollouts`. */
export const rolloutRequestSchema = z
  .object({
    modelId: modelIdSchema,
    version: modelVersionSchema,
    /** Only devices with this tag (absent: every device of one's sites). */
    tag: deviceTagSchema.optional(),
    /** Devices in the canary group, done first. */
    canary: z.number().int().min(0).max(1000).default(1),
    /** Then this percentage of the rest. */
    percent: z.number().int().min(0).max(100).default(100),
    /** The rollout stops once this many devices have failed. */
    maxFailures: z.number().int().min(1).max(10_000).default(1),
    /** The health check's bound on one inference of the reference frame (ms). */
    maxLatencyMs: z.number().int().min(1).max(60_000).default(2000),
  })
  .strict();

/** What an operator may do to a rollout, from which statuses, and to what. */
const ACTIONS = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  rollback: { from: ['running', 'paused', 'completed', 'aborted'], to: 'rolled-back' },
} satisfies Record<string, { from: RolloutStatus[]; to: RolloutStatus }>;

const rolloutId = (id: string) => {
  if (!z.uuid().safeParse(id).success) throw new HTTPException(404, { message: 'no such rollout' });
  return id;
};

/**
 * Rollouts (fleet, admin): a model version to the devices of one's sites (with a tag), a canary group
 * first, then a percentage of the rest; paused, resumed or rolled back by an operator. The driver
 * (models/rollout-driver.ts) sends the commands and moves each rollout along.
 */
export function rolloutRoutes({ db, auth }: { db: Database; auth: UserAuth }) {
  const manage = allow(auth, 'models.manage');
  const control = async (c: Context<HubEnv>, name: keyof typeof ACTIONS) => {
    const id = rolloutId(c.req.param('id') ?? '');
    const action = ACTIONS[name];
    const rollout = await findRollout(db, id);
    if (!rollout) throw new HTTPException(404, { message: 'no such rollout' });
    const reason = `${name} by ${c.get('user')!.username}`;
    if (!(await setRolloutStatus(db, id, action.from, { status: action.to, reason })))
      throw new HTTPException(409, { message: `the rollout is ${rollout.status}` });
    auditObject(c, id, { from: rollout.status, to: action.to });
    return c.json(await findRollout(db, id));
  };
  return new Hono<HubEnv>()
    .post('/', audit('rollout.create', 'rollout'), manage, async (c) => {
      const r = await readJson(c, rolloutRequestSchema);
      const model = await findModel(db, r.modelId, r.version);
      if (!model) throw new HTTPException(404, { message: `no model ${r.modelId} version ${r.version}` });
      if (!model.ready)
        throw new HTTPException(409, {
          message: `model ${r.modelId} ${r.version} is missing files: ${model.manifest.files
            .map((f) => f.name)
            .filter((n) => !model.storedFiles.includes(n))
            .join(', ')}`,
        });
      const fleet = (await listDevices(db, await siteScope(c, db))).filter(
        (d) => !d.revoked_at && (!r.tag || d.tags.includes(r.tag)),
      );
      if (fleet.length === 0)
        throw new HTTPException(409, {
          message: r.tag ? `no device has tag ${r.tag}` : 'no device to roll out to',
        });
      const id = randomUUID();
      const chosen = chooseDevices(
        fleet.map((d) => d.id),
        `${r.modelId}@${r.version}`,
        r.canary,
        r.percent,
      );
      const rollout = await inTransaction(db, (tx) =>
        insertRollout(tx, { id, ...r, tag: r.tag ?? null, createdBy: c.get('user')!.username }, chosen),
      );
      auditObject(c, id, { modelId: r.modelId, version: r.version, devices: chosen.length });
      return c.json({ ...rollout, devices: await rolloutDevices(db, id) }, 201);
    })
    .get('/', audit('rollout.list', 'rollout'), manage, async (c) =>
      c.json({ items: await listRollouts(db) }),
    )
    .get('/:id', audit('rollout.read', 'rollout', 'id'), manage, async (c) => {
      const id = rolloutId(c.req.param('id'));
      const rollout = await findRollout(db, id);
      if (!rollout) throw new HTTPException(404, { message: 'no such rollout' });
      const devices = await rolloutDevices(db, id);
      const counts: Record<string, number> = {};
      for (const d of devices) counts[d.state] = (counts[d.state] ?? 0) + 1;
      return c.json({ ...rollout, counts, devices });
    })
    .post('/:id/pause', audit('rollout.pause', 'rollout', 'id'), manage, (c) => control(c, 'pause'))
    .post('/:id/resume', audit('rollout.resume', 'rollout', 'id'), manage, (c) => control(c, 'resume'))
    .post('/:id/rollback', audit('rollout.rollback', 'rollout', 'id'), manage, (c) => control(c, 'rollback'));
}
