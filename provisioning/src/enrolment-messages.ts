import { z } from 'zod';
import { publicJwkSchema } from './device-keys.js';
import { enrolmentTokenSchema } from './enrolment-token.js';

/**
 * Text shown to people (device names, versions): no control, format, private-use or line-separator
 * characters, so a name cannot break log lines or reorder what an admin sees with bidi overrides.
 */
const printableText = /^[^\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]*$/u;

/** A device id as the hub assigns it; also safe as an MQTT topic level and a file name. */
export const deviceIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'must be 3-63 lower-case letters, digits or dashes');

/** A URL of the MQTT broker (mqtt: or mqtts:) that names a host. */
export const mqttUrlSchema = z.url({ protocol: /^mqtts?$/, hostname: /^.+$/ });

/** A URL of the hub's HTTP API (http: or https:) that names a host. */
export const hubUrlSchema = z.url({ protocol: /^https?$/, hostname: /^.+$/ });

/** What an edge box posts to the hub to enrol: the one-time token, a name and its public key. */
export const enrolRequestSchema = z.object({
  token: enrolmentTokenSchema,
  name: z.string().trim().min(1).max(100).regex(printableText, 'must be printable text'),
  publicKey: publicJwkSchema,
  softwareVersion: z.string().max(50).regex(printableText, 'must be printable text').optional(),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

/** The hub's answer to a successful enrolment: who the device now is and where to connect. */
export const enrolResponseSchema = z.object({
  deviceId: deviceIdSchema,
  mqttUrl: mqttUrlSchema,
  hubUrl: hubUrlSchema,
  brokerAudience: z.string().min(1),
  hubAudience: z.string().min(1),
  enrolledAt: z.iso.datetime({ offset: true }),
});
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;
