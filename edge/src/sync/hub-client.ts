import type { DeviceCredentials } from '@gic/provisioning/device-credentials.js';
import { HUB_API_AUDIENCE, signDeviceToken } from '@gic/provisioning/device-token.js';

/** An HTTP error from the hub, with its status and message. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** The hub's HTTP API as a device uses it: every call carries a fresh device-signed token. */
export class HubClient {
  constructor(
    private readonly credentials: DeviceCredentials,
    private readonly timeoutMs = 15_000,
  ) {}

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {}
      throw new HubError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  }

  /**
   * A GET that may answer 304: with `etag` from an earlier answer, undefined when nothing changed;
   * else the body and its ETag.
   */
  async getIfChanged<T>(
    path: string,
    etag: string | null,
  ): Promise<{ body: T; etag: string | null } | undefined> {
    const res = await this.send('GET', path, undefined, etag ? { 'if-none-match': etag } : {});
    if (res.status === 304) {
      await res.body?.cancel();
      return undefined;
    }
    const text = await res.text();
    if (!res.ok) throw new HubError(res.status, `GET ${path}: ${res.status} ${text.slice(0, 200)}`);
    return { body: JSON.parse(text) as T, etag: res.headers.get('etag') };
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const token = await signDeviceToken(this.credentials.privateJwk, {
      deviceId: this.credentials.deviceId,
      audience: HUB_API_AUDIENCE,
      ttlSeconds: 120,
    });
    return fetch(new URL(path, this.credentials.hubUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}
