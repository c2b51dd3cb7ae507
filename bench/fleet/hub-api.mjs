// The hub's HTTP API as the fleet benchmark uses it: sign in, enrol a box (a one-time token, then the
// box's own POST with its public key, as `provisioning/` does), issue a remote command, upload a model
// version (its manifest, then each file streamed) and start a rollout of it.
import { generateDeviceKeyPair } from '@gic/provisioning/device-keys.js';

export async function signIn(httpUrl, password) {
  const api = async (method, path, body, token) => {
    const raw = body instanceof Uint8Array;
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers: {
        ...(body ? { 'content-type': raw ? 'application/octet-stream' : 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: raw ? body : JSON.stringify(body) } : {}),
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
    /** `POST /api/v1/models` with the manifest, then a PUT of each file (`files`: name -> bytes). */
    async uploadModel(manifest, files) {
      const created = await api('POST', '/api/v1/models', { manifest }, accessToken);
      let stored;
      for (const upload of created.uploads) {
        const bytes = files[upload.name];
        if (!bytes) throw new Error(`no bytes for the manifest's file ${upload.name}`);
        stored = await api('PUT', upload.path, bytes, accessToken);
      }
      if (!stored?.ready)
        throw new Error(`model ${manifest.id} ${manifest.version} not ready after its uploads`);
      return stored;
    },
    /** `POST /api/v1/rollouts`: the rollout as created, with its devices (and their stage). */
    rollout: (body) => api('POST', '/api/v1/rollouts', body, accessToken),
  };
}
