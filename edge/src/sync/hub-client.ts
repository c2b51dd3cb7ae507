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
    const token = await signDeviceToken(this.credentials.privateJwk, {
      deviceId: this.credentials.deviceId,
      audience: HUB_API_AUDIENCE,
      ttlSeconds: 120,
    });
    const res = await fetch(new URL(path, this.credentials.hubUrl), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
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
}
