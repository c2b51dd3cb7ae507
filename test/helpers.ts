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

/**
 * A person of `role`, created by the admin as the people API does it, signed in, with the first
 * password changed (until then a new person may do nothing else); their access token.
 */
export async function personToken(
  hubUrl: string,
  admin: string,
  username: string,
  role: string,
): Promise<string> {
  const post = async (path: string, body: unknown, token: string) => {
    const res = await fetch(`${hubUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, string>;
  };
  const { temporaryPassword } = await post('/api/v1/users', { username, role }, admin);
  const login = await fetch(`${hubUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: temporaryPassword }),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status}`);
  const first = ((await login.json()) as { accessToken: string }).accessToken;
  const changed = await post(
    '/api/v1/auth/password',
    { currentPassword: temporaryPassword, newPassword: 'Quartz-Meadow-58-Lantern' },
    first,
  );
  return changed.accessToken!;
}

/**
 * Judges delivery against the edge's own numbering: which of the sequence numbers 1..`lastSeq` the
 * edge gave out are missing at the hub, and which are there more than once. The hub's key already
 * forbids one event id twice, so counting distinct ids proves nothing; an event the edge made again
 * under a new id (a real duplicate) shows here as a repeated number.
 */
export async function sequenceAtHub(
  hub: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> },
  lastSeq: number,
  deviceId?: string,
): Promise<{ missing: number[]; repeated: number[] }> {
  const { rows } = await hub.query(
    `SELECT seq::int AS seq, count(*)::int AS n FROM device_events
      WHERE $1::text IS NULL OR device_id = $1 GROUP BY seq`,
    [deviceId ?? null],
  );
  const counts = new Map((rows as { seq: number; n: number }[]).map((r) => [r.seq, r.n]));
  const missing: number[] = [];
  for (let seq = 1; seq <= lastSeq; seq++) if (!counts.has(seq)) missing.push(seq);
  const repeated = [...counts].filter(([seq, n]) => n > 1 || seq > lastSeq).map(([seq]) => seq);
  return { missing, repeated };
}

/**
 * Waits (in the database: the API's rate is for people) until a box has enrolled and is connected in
 * one of `states` (its retained status), and returns its device id.
 */
export function connectedDevice(
  db: { query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }> },
  states: readonly string[] = ['online', 'in-procedure'],
): Promise<string> {
  return until(
    'the box to enrol and connect',
    async () => {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM devices WHERE status = ANY($1)', [
        [...states],
      ]);
      return rows[0]?.id;
    },
    30_000,
    100,
  );
}
