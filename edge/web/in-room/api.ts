/** JSON to the box's own API (no credentials: the screen is on the room's own network). */
export function send(url: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The error an API answer carries, or its status. */
export async function errorOf(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: string };
    return body.error || String(res.status);
  } catch {
    return String(res.status);
  }
}
