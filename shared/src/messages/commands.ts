import { z } from 'zod';
import { modelInstallSchema } from './model-install.js';

/**
 * Remote commands: the hub asks one box to do something on `gic/v1/d/{deviceId}/cmd` (QoS 1), and the
 * box answers on `.../cmd/result` (QoS 1), once when it takes or refuses the command and once when it is
 * done. A box refuses anything not marked `safeDuringProcedure` while a procedure runs. `config` carries
 * the hub's desired configuration (the device twin): the box itself defers what would disturb.
 */
export const COMMAND_KINDS = [
  'restart-capture',
  'collect-logs',
  'self-test',
  'config',
  'install-model',
] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

const isoTime = z.iso.datetime({ offset: true });

/** Hub -> device on `cmd`. */
export const deviceCommandSchema = z
  .object({
    /** The command's id, the box's key for doing it at most once. */
    id: z.uuid(),
    kind: z.enum(COMMAND_KINDS),
    issuedAt: isoTime,
    /** Not started after this: the box answers `expired`. */
    expiresAt: isoTime,
    /** May run while a procedure is in progress (absent: no). */
    safeDuringProcedure: z.boolean().optional(),
    /** Who asked (a hub user name), for the box's log. */
    issuedBy: z.string().min(1).max(100),
    /** A `config` command's desired configuration (a part of the edge's file) and its version. */
    config: z
      .object({ version: z.number().int().positive(), values: z.record(z.string(), z.unknown()) })
      .optional(),
    /** What an `install-model` command installs (or rolls back). */
    model: modelInstallSchema.optional(),
  })
  .refine((c) => Date.parse(c.expiresAt) > Date.parse(c.issuedAt), 'expiresAt must be after issuedAt')
  .refine((c) => (c.kind === 'config') === (c.config !== undefined), {
    message: 'a config command carries config, and only it',
    path: ['config'],
  })
  .refine((c) => (c.kind === 'install-model') === Boolean(c.model), {
    message: 'model is given with an install-model command, and only then',
    path: ['model'],
  });
export type DeviceCommand = z.infer<typeof deviceCommandSchema>;

export const COMMAND_STATUSES = ['accepted', 'refused', 'succeeded', 'failed', 'expired'] as const;
export type CommandResultStatus = (typeof COMMAND_STATUSES)[number];

/** Device -> hub on `cmd/result`. */
export const commandResultSchema = z.object({
  commandId: z.uuid(),
  status: z.enum(COMMAND_STATUSES),
  /** Why it was refused or failed, in a sentence. */
  reason: z.string().max(500).optional(),
  /** What the command found or made: a self-test's report, where the logs went (small JSON). */
  detail: z.record(z.string(), z.unknown()).optional(),
  at: isoTime,
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/**
 * What a box reports of a desired configuration, as a `config` command's result detail: sent when it
 * takes the version (`accepted` while keys wait, else `succeeded`), again when deferred keys are
 * applied, and at each start. Keys are the twin's (`alerts.sensitivity`, `source`).
 */
export const configReportSchema = z.object({
  version: z.number().int().positive(),
  /** Running now with the desired value. */
  applied: z.array(z.string()),
  /** Kept until the procedure in progress ends (they would disturb it). */
  deferred: z.array(z.string()),
  /** Set by the box's own environment or file, which wins; `overriddenBy` says which. */
  overridden: z.array(z.string()),
  overriddenBy: z.record(z.string(), z.string()),
  /** Stored, and taking effect only at the box's next start. */
  restartRequired: z.array(z.string()),
  /** The value the box runs for each desired key it can tell (overridden ones: the box's own). */
  values: z.record(z.string(), z.unknown()),
});
export type ConfigReport = z.infer<typeof configReportSchema>;

/**
 * How far a status is along a command's life: a result never moves a command back (a late `accepted`
 * after `succeeded`, a redelivered one). `issued` is the hub's own status until the box answers.
 */
export function commandStatusRank(status: CommandResultStatus | 'issued'): number {
  return status === 'issued' ? 0 : status === 'accepted' ? 1 : 2;
}

/** Parses an MQTT payload as JSON against `schema`: the value, or the reason it is refused. */
export function parsePayload<T>(
  schema: z.ZodType<T>,
  payload: Buffer | string,
): { ok: true; value: T } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString());
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; '),
  };
}
