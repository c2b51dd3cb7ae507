/** The signed-in user, kept for the browser tab only (sessionStorage), never in a cookie. */
export interface Session {
  token: string;
  username: string;
  role: string;
}

const KEY = 'gic.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** An API answer that was not 2xx: its status and the hub's error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the hub says the session is no longer valid (401): the app signs out. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

/** A request to the hub with the session's bearer token; throws ApiError unless it succeeded. */
export async function request(session: Session, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${session.token}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (res.ok) return res;
  if (res.status === 401) onUnauthorized();
  let message = `${res.status} ${res.statusText}`;
  try {
    message = ((await res.json()) as { error?: string }).error ?? message;
  } catch {
    // not JSON: the status says it
  }
  throw new ApiError(res.status, message);
}

/** GET (or another method) and parse JSON. */
export async function api<T>(session: Session, path: string, init: RequestInit = {}): Promise<T> {
  return (await (await request(session, path, init)).json()) as T;
}

/** Sign-in: `POST /api/v1/auth/login`. */
export async function signIn(username: string, password: string): Promise<Session> {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    accessToken?: string;
    role?: string;
    error?: string;
  };
  if (!res.ok || !body.accessToken) throw new ApiError(res.status, body.error ?? String(res.status));
  return { token: body.accessToken, username, role: body.role ?? 'reviewer' };
}

/** What a page says of a failed call: a missing endpoint is said as such, not as a crash. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError)
    return err.status === 404 ? `not available (404: ${err.message})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
