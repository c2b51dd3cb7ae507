/**
 * A part of a process that could not start, said the way configuration errors are: what failed, why,
 * and what to do, in one line (`could not start the HTTP server: 127.0.0.1:8080 is already in use;
 * stop what uses it or set GIC_HUB_PORT`).
 */
export class StartError extends Error {
  constructor(
    readonly part: string,
    readonly reason: string,
    readonly remedy: string,
    options?: ErrorOptions,
  ) {
    super(`could not start ${part}: ${reason}; ${remedy}`, options);
    this.name = 'StartError';
  }
}

interface SystemError extends Error {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
}

/** An error in a few words for a person: a system error's code with its address or path, no stack. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as SystemError;
  const where = e.address ? `${e.address}${e.port ? `:${e.port}` : ''}` : e.path;
  switch (e.code) {
    case 'EADDRINUSE':
      return `${where ?? 'the address'} is already in use`;
    case 'EADDRNOTAVAIL':
      return `${where ?? 'the address'} is not an address of this machine`;
    case 'EACCES':
      return e.syscall === 'listen' || e.syscall === 'bind'
        ? `not allowed to listen on ${where ?? 'the address'} (ports below 1024 need root)`
        : `permission denied: ${where ?? e.message}`;
    case 'ECONNREFUSED':
      return `nothing answers at ${where ?? 'the address'}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host name ${(e as { hostname?: string }).hostname ?? where ?? ''}`.trim();
    default: {
      if (err instanceof AggregateError && err.errors.length) return describeError(err.errors[0]);
      const first = e.message.split('\n')[0] ?? '';
      return first || e.name;
    }
  }
}

/**
 * Runs the start of one part; a failure becomes a StartError naming the part, with `remedy` (or the
 * one chosen for the error), so the process can end with one line a person can act on.
 */
export async function startPart<T>(
  part: string,
  remedy: string | ((err: Error) => string),
  start: () => Promise<T> | T,
): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (err instanceof StartError) throw err;
    const e = err instanceof Error ? err : new Error(String(err));
    throw new StartError(part, describeError(e), typeof remedy === 'function' ? remedy(e) : remedy, {
      cause: err,
    });
  }
}
