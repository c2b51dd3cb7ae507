/** Polls `check` every 100 ms until it returns something other than undefined. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
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
