/** How often a test polls the hub's API (ms). */
export const HUB_API_POLL_MS = 1000;

/**
 * Polls `check` every `intervalMs` until it returns something other than undefined. A check that asks
 * the hub's API polls once a second (HUB_API_POLL_MS), as a well-behaved client does: the API allows
 * each user 100 requests a minute.
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Signs in as the admin and returns the access token. */
export async function adminToken(hubUrl: string, password: string): Promise<string> {
  const res = await fetch(`${hubUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** A one-time enrolment token, as an admin creates it for a new edge box. */
export async function enrolmentToken(hubUrl: string, password: string): Promise<string> {
  const res = await fetch(`${hubUrl}/api/v1/devices/enrolment-tokens`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await adminToken(hubUrl, password)}`,
    },
    body: '{}',
  });
  if (!res.ok) throw new Error(`enrolment token refused: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}
