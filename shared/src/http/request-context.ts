import { randomUUID } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../logging/logger.js';

/** Variables every app sets on its context. */
export type RequestVars = { requestId: string; log: Logger };
export type AppEnv = { Variables: RequestVars };

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives each request an id (the caller's `x-request-id` if well formed) and a child logger that
 * stamps it on every line, and logs one line per request with status and duration.
 */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.header('x-request-id', requestId);
    const started = performance.now();
    await next();
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: +(performance.now() - started).toFixed(1),
      },
      'request',
    );
  };
}

/** Expected failures answer with their status and message; the rest are logged and answer 500. */
export function installErrorHandler(app: Hono<AppEnv>): void {
  app.onError((err, c: Context<AppEnv>) => {
    const requestId = c.get('requestId');
    if (err instanceof HTTPException) {
      // Headers a refusal carries (`Retry-After` of a 429, say) go with the JSON answer.
      const headers: Record<string, string> = {};
      err.res?.headers.forEach((value, name) => {
        if (name !== 'content-type' && name !== 'content-length') headers[name] = value;
      });
      return c.json({ error: err.message, requestId }, err.status, headers);
    }
    (c.get('log') ?? console).error({ err }, 'unhandled error');
    return c.json({ error: 'internal error', requestId }, 500);
  });
  app.notFound((c) => c.json({ error: 'not found', requestId: c.get('requestId') }, 404));
}

/** Parses a JSON body against a schema, answering 400 with every problem when it does not fit. */
export async function readJson<T>(
  c: Context,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: 'body must be JSON' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new HTTPException(400, { message: `invalid request: ${detail}` });
  }
  return parsed.data;
}

/** Parses a request's query string against a schema, answering 400 with every problem when it does not fit. */
export function readQuery<T>(
  c: Context,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
): T {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
    throw new HTTPException(400, { message: detail });
  }
  return parsed.data;
}
