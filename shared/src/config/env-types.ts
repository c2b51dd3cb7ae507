import { z } from 'zod';

/** A TCP port number given as a string in the environment. */
export const portVar = z.coerce.number().int().min(0).max(65535);

/** A URL with one of the given protocols. */
export function urlVar(...protocols: string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL with protocol ${protocols.join(' or ')}` },
  );
}

/** A log level pino understands. */
export const logLevelVar = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A positive number given as a string. */
export const positiveNumberVar = z.coerce.number().positive();
