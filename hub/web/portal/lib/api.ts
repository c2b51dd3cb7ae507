/**
 * The signed-in user, kept for the browser tab only (sessionStorage), never in a cookie: a 15-minute
 * access token, renewed with the session's refresh token (used once each) shortly before it expires.
 */
export interface Session {
  token: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
  username: string;
  role: string;
  /** An admin set the password: only changing it is allowed until then. */
  mustChangePassword: boolean;
}

const KEY = 'gic.session';
/** Renew the access token this long before it expires (ms). */
const RENEW_BEFORE_MS = 60_000;

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    const session = raw ? (JSON.parse(raw) as Session) : null;
    return session?.refreshToken ? session : null;
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

interface TokenAnswer {
  accessToken?: string;
  refreshToken?: string;
  expiresIn?: number;
  role?: string;
  username?: string;
  mustChangePassword?: boolean;
  error?: string;
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    message = ((await res.json()) as { error?: string }).error ?? message;
  } catch {
    // not JSON: the status says it
  }
  return new ApiError(res.status, message);
}

function sessionFrom(body: TokenAnswer, username: string): Session {
  if (!body.accessToken || !body.refreshToken) throw new ApiError(500, 'the hub answered no tokens');
  return {
    token: body.accessToken,
    refreshToken: body.refreshToken,
    expiresAt: Date.now() + (body.expiresIn ?? 900) * 1000,
    username: body.username ?? username,
    role: body.role ?? 'reviewer',
    mustChangePassword: body.mustChangePassword ?? false,
  };
}

/** One renewal at a time: a refresh token works once, so two at once would end the session. */
let renewing: Promise<void> | null = null;

/** Trades the session's refresh token for new tokens, in place (every page holds the same object). */
function renew(session: Session): Promise<void> {
  renewing ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (!res.ok) throw await errorOf(res);
      Object.assign(session, sessionFrom((await res.json()) as TokenAnswer, session.username));
      saveSession(session);
    } finally {
      renewing = null;
    }
  })();
  return renewing;
}

/** A request to the hub with the session's bearer token; throws ApiError unless it succeeded. */
export async function request(session: Session, path: string, init: RequestInit = {}): Promise<Response> {
  const send = () => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${session.token}`);
    if (init.body !== undefined) headers.set('content-type', 'application/json');
    return fetch(path, { ...init, headers });
  };
  try {
    if (renewing) await renewing;
    else if (session.expiresAt - Date.now() < RENEW_BEFORE_MS) await renew(session);
  } catch {
    onUnauthorized();
    throw new ApiError(401, 'the session has ended: sign in again');
  }
  let res = await send();
  if (res.status === 401) {
    // Expired meanwhile (a laptop asleep, say): renew once and try again.
    try {
      await renew(session);
      res = await send();
    } catch {
      // the session has ended
    }
  }
  if (res.ok) return res;
  if (res.status === 401) onUnauthorized();
  throw await errorOf(res);
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
  const body = (await res.json().catch(() => ({}))) as TokenAnswer;
  if (!res.ok || !body.accessToken) throw new ApiError(res.status, body.error ?? String(res.status));
  return sessionFrom(body, username);
}

/** Whether the hub offers single sign-on, and the provider's name for the button. */
export interface SsoConfig {
  enabled: boolean;
  providerName?: string;
  startUrl?: string;
}

/** `GET /api/v1/auth/oidc/config`; off when the hub does not answer it. */
export async function ssoConfig(): Promise<SsoConfig> {
  try {
    const res = await fetch('/api/v1/auth/oidc/config');
    return res.ok ? ((await res.json()) as SsoConfig) : { enabled: false };
  } catch {
    return { enabled: false };
  }
}

/**
 * The one-time code single sign-on leaves in the URL's fragment (`#/sso?code=...`), taken out of the
 * address bar and history at once; null when there is none.
 */
export function takeSsoCode(): string | null {
  const match = /^#\/sso\?code=([^&]+)$/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  return decodeURIComponent(match[1]!);
}

/** Trades single sign-on's one-time code for a session: `POST /api/v1/auth/oidc/exchange`. */
export async function exchangeSsoCode(code: string): Promise<Session> {
  const res = await fetch('/api/v1/auth/oidc/exchange', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const body = (await res.json().catch(() => ({}))) as TokenAnswer;
  if (!res.ok || !body.accessToken) throw new ApiError(res.status, body.error ?? String(res.status));
  return sessionFrom(body, body.username ?? '');
}

/** Sign-out: ends the session at the hub (its tokens stop working), then here. */
export async function signOut(session: Session): Promise<void> {
  await fetch('/api/v1/auth/logout', {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}` },
  }).catch(() => {});
}

/** Changes one's password; the hub ends every session and answers a new one. */
export async function changePassword(
  session: Session,
  currentPassword: string,
  newPassword: string,
): Promise<Session> {
  const res = await request(session, '/api/v1/auth/password', {
    method: 'POST',
    body: JSON.stringify({ currentPassword, newPassword }),
  });
  return sessionFrom((await res.json()) as TokenAnswer, session.username);
}

/** What a page says of a failed call: a missing endpoint is said as such, not as a crash. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError)
    return err.status === 404 ? `not available (404: ${err.message})` : err.message;
  return err instanceof Error ? err.message : String(err);
}
