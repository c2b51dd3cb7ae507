// The hub's HTTP API as the fleet benchmark uses it: sign in, enrol a box (a one-time token, then the
// box's own POST with its public key, as `provisioning/` does), issue a remote command.
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';

export async function signIn(httpUrl, password) {
  const api = async (method, path, body, token) => {
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  const { accessToken } = await api('POST', '/api/v1/auth/login', { username: 'admin', password });
  return {
    /** Enrols one box: its key pair, the time the two requests took (ms), and its credentials. */
    async enrol(name) {
      const keys = await generateDeviceKeyPair();
      const started = performance.now();
      const { token } = await api('POST', '/api/v1/devices/enrolment-tokens', {}, accessToken);
      const reply = await api('POST', '/api/v1/devices/enrol', {
        token,
        name,
        publicKey: keys.publicJwk,
        softwareVersion: 'bench-fleet',
      });
      return {
        deviceId: reply.deviceId,
        mqttUrl: reply.mqttUrl,
        privateJwk: keys.privateJwk,
        enrolMs: performance.now() - started,
      };
    },
    /** `POST /api/v1/devices/{id}/commands`: the command as saved (its id). */
    command: (deviceId, kind) =>
      api('POST', `/api/v1/devices/${deviceId}/commands`, { kind, ttlSeconds: 300 }, accessToken),
  };
}
