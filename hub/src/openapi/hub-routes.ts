import { enrolRequestSchema } from '@gic/provisioning/enrolment-messages.js';
import { keyRotationRequestSchema } from '@gic/provisioning/key-rotation.js';
import { chatRequestSchema } from '@gic/shared/chat/chat-routes.js';
import { desiredEdgeConfigSchema } from '@gic/shared/config/desired-edge-config.js';
import { z } from 'zod';
import { auditFilterSchema } from '../audit/audit-query.js';
import type { Permission } from '../auth/permissions.js';
import { telemetryQuerySchema } from '../devices/telemetry-history.js';
import { changePasswordSchema, loginSchema, refreshSchema } from '../http/auth-routes.js';
import { commandLogsSchema, commandRequestSchema } from '../http/command-routes.js';
import { deviceListQuerySchema, devicePlaceSchema, tokenRequestSchema } from '../http/device-routes.js';
import { modelCreateSchema } from '../http/model-routes.js';
import { oidcCallbackQuerySchema, oidcExchangeSchema } from '../http/oidc-routes.js';
import { legalHoldSchema, purgesQuerySchema } from '../http/retention-routes.js';
import { rolloutRequestSchema } from '../http/rollout-routes.js';
import { roomCredentialSchema } from '../http/room-credential-routes.js';
import { completeSchema, partsSchema, startSchema } from '../http/upload-routes.js';
import { createUserSchema, updateUserSchema } from '../http/user-routes.js';
import { procedureQuerySchema } from '../procedures/procedure-search.js';
import {
  exportQuerySchema,
  exportRequestSchema,
  uploadSessionSchema,
  uploadSiteQuerySchema,
} from '../videos/video-schemas.js';

/**
 * Who may call a route: anybody, an enrolled device, an enrolment token's holder, a refresh token's
 * holder, or a signed-in person whose role holds the permission (auth/permissions.ts).
 */
export type RouteAuth = 'none' | 'device' | 'enrolment-token' | 'refresh-token' | Permission;

/** One hub route as the OpenAPI document describes it; bodies and queries are the validating schemas. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form: `/api/v1/videos/{id}`. */
  path: string;
  summary: string;
  auth: RouteAuth;
  body?: z.ZodType;
  /** The body is bytes (a video), not JSON. */
  binaryBody?: boolean;
  query?: z.ZodObject;
  responses: Record<string, string>;
}

const ok = { '200': 'OK' };
const video = (path: string) => `/api/v1/videos/{id}${path}`;

/**
 * Every route the hub serves. `hub-routes.test.ts` compares this with the routes the app really has,
 * so a route added without a line here fails the tests.
 */
export const HUB_ROUTES: RouteDoc[] = [
  { method: 'get', path: '/health/live', summary: 'The process is up', auth: 'none', responses: ok },
  { method: 'get', path: '/health/ready', summary: 'Every check passes', auth: 'none', responses: ok },
  {
    method: 'get',
    path: '/health/gpu',
    summary: 'ONNX Runtime execution providers',
    auth: 'none',
    responses: ok,
  },
  { method: 'get', path: '/health/db', summary: 'PostgreSQL answers', auth: 'none', responses: ok },
  {
    method: 'get',
    path: '/health/storage',
    summary: 'The object store answers',
    auth: 'none',
    responses: ok,
  },
  {
    method: 'get',
    path: '/health/threadpool',
    summary: "libuv's pool round trip",
    auth: 'none',
    responses: ok,
  },
  {
    method: 'get',
    path: '/health/auditLog',
    summary: "The hub's database role cannot change the audit log ({role, appendOnly, note})",
    auth: 'none',
    responses: ok,
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', auth: 'none', responses: ok },
  { method: 'get', path: '/', summary: 'The portal (HTML)', auth: 'none', responses: ok },
  { method: 'get', path: '/api/v1/openapi.json', summary: 'This document', auth: 'none', responses: ok },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Sign in',
    auth: 'none',
    body: loginSchema,
    responses: {
      '200': '{accessToken, refreshToken, expiresIn, refreshExpiresIn, role, mustChangePassword}',
      '401': 'wrong username or password',
      '403': 'the account is disabled',
      '429': 'too many failed sign-ins for the account or the address (Retry-After)',
    },
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    summary: 'New tokens for a refresh token, which is used up (a second use ends the session)',
    auth: 'refresh-token',
    body: refreshSchema,
    responses: { '200': 'new tokens, as sign-in answers them', '401': 'session ended' },
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'Sign out: ends the session and every token of it',
    auth: 'session.own',
    responses: { '204': 'signed out' },
  },
  { method: 'get', path: '/api/v1/auth/me', summary: 'Who is signed in', auth: 'session.own', responses: ok },
  {
    method: 'get',
    path: '/api/v1/auth/oidc/config',
    summary: 'Whether single sign-on (OpenID Connect) is on, and the provider to name on the sign-in page',
    auth: 'none',
    responses: { '200': '{enabled, providerName?, startUrl?}' },
  },
  {
    method: 'get',
    path: '/api/v1/auth/oidc/start',
    summary: "Single sign-on: to the identity provider's sign-in (state, nonce, PKCE S256)",
    auth: 'none',
    responses: {
      '302': "to the provider's authorization endpoint",
      '404': 'single sign-on is off',
      '502': 'the provider cannot be reached',
    },
  },
  {
    method: 'get',
    path: '/api/v1/auth/oidc/callback',
    summary:
      'Single sign-on: the provider sends the browser back; the code is exchanged, the ID token verified',
    auth: 'none',
    query: oidcCallbackQuerySchema,
    responses: {
      '302': 'to the portal with a one-time code in the fragment (#/sso?code=...)',
      '400': 'unknown, used, expired or foreign state',
      '401':
        'the provider refused the code, or the ID token was refused (signature, issuer, audience, nonce, expiry)',
      '403': 'no such user, no role for them, or the account is disabled',
      '502': 'the provider cannot be reached',
    },
  },
  {
    method: 'post',
    path: '/api/v1/auth/oidc/exchange',
    summary:
      "Single sign-on: the portal trades the callback's one-time code (once, within a minute) for a session",
    auth: 'none',
    body: oidcExchangeSchema,
    responses: {
      '200': 'tokens, as sign-in answers them',
      '401': 'unknown, used or expired code',
      '403': 'the account is disabled',
      '404': 'single sign-on is off',
    },
  },
  {
    method: 'post',
    path: '/api/v1/auth/password',
    summary: "Change one's password (ends every session; answers a new one)",
    auth: 'session.own',
    body: changePasswordSchema,
    responses: { '200': 'new tokens', '400': 'wrong current password or a weak new one' },
  },
  {
    method: 'get',
    path: '/api/v1/users',
    summary: 'People, with locks and sessions',
    auth: 'users.manage',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/users',
    summary: 'Create a person (they must change the first password)',
    auth: 'users.manage',
    body: createUserSchema,
    responses: { '201': '{user, temporaryPassword?}', '409': 'the name is taken' },
  },
  {
    method: 'patch',
    path: '/api/v1/users/{id}',
    summary: 'Change role or sites, disable or enable (disabling ends the sessions)',
    auth: 'users.manage',
    body: updateUserSchema,
    responses: { ...ok, '409': 'the last enabled admin' },
  },
  {
    method: 'post',
    path: '/api/v1/users/{id}/password-reset',
    summary: 'A temporary password the user must change; ends their sessions',
    auth: 'users.manage',
    responses: { '200': '{temporaryPassword, endedSessions}' },
  },
  {
    method: 'post',
    path: '/api/v1/users/{id}/sessions/revoke',
    summary: "End all of a user's sessions",
    auth: 'users.manage',
    responses: { '200': '{endedSessions}' },
  },
  {
    method: 'post',
    path: '/api/v1/users/{id}/unlock',
    summary: 'Lift a sign-in lock',
    auth: 'users.manage',
    responses: { '204': 'unlocked' },
  },
  {
    method: 'get',
    path: '/api/v1/users/{id}/room-credential',
    summary: "A person's in-room credential: which parts (PIN, badge) they hold, never a hash",
    auth: 'users.manage',
    responses: { '200': '{userId, name, pin, badge, updatedAt}', '404': 'no such user or no credential' },
  },
  {
    method: 'put',
    path: '/api/v1/users/{id}/room-credential',
    summary: 'Issue or change an in-room PIN (set, generated and shown once, or removed) or badge number',
    auth: 'users.manage',
    body: roomCredentialSchema,
    responses: {
      '200': '{userId, name, pin, badge, updatedAt, generatedPin?}',
      '400': 'a malformed PIN or badge, or neither left',
      '409': 'another person has that PIN or badge, or the user is disabled',
    },
  },
  {
    method: 'delete',
    path: '/api/v1/users/{id}/room-credential',
    summary: "Revoke a person's in-room credential (boxes drop it at their next sync)",
    auth: 'users.manage',
    responses: { '204': 'revoked', '404': 'no such user or no credential' },
  },
  {
    method: 'get',
    path: '/api/v1/devices/me/room-credentials',
    summary: "The calling box's in-room credentials (hashes) and their version (ETag; If-None-Match: 304)",
    auth: 'device',
    responses: { '200': '{version, items: [{userId, name, role, pinHash, badgeHash}]}', '304': 'unchanged' },
  },
  {
    method: 'post',
    path: '/api/v1/devices/me/key',
    summary:
      "Rotate the calling box's key pair: signed with the current key, the body carries the new public key and a token signed with the new private key (audience gic-key-rotation)",
    auth: 'device',
    body: keyRotationRequestSchema,
    responses: {
      '200': '{deviceId, rotated, thumbprint}',
      '400': 'no valid proof by the new key',
      '409': 'another device holds that key, or the key changed meanwhile',
    },
  },
  {
    method: 'post',
    path: '/api/v1/devices/enrolment-tokens',
    summary: 'A one-time enrolment token; the device it enrols gets its site, room and tags',
    auth: 'devices.enrol',
    body: tokenRequestSchema,
    responses: {
      '201': '{token, expiresAt, site, room, tags}',
      '400': 'no site named, and the caller has several',
      '403': 'not one of the caller’s sites',
    },
  },
  {
    method: 'post',
    path: '/api/v1/devices/enrol',
    summary: 'Enrol an edge box',
    auth: 'enrolment-token',
    body: enrolRequestSchema,
    responses: { '201': 'the device id and broker URL' },
  },
  {
    method: 'get',
    path: '/api/v1/devices',
    summary:
      'Devices with telemetry, site, room and tags (those of the caller’s sites; `tag`: only those with it)',
    auth: 'devices.read',
    query: deviceListQuerySchema,
    responses: { ...ok, '400': 'a tag that is not valid' },
  },
  {
    method: 'get',
    path: '/api/v1/devices/jwks.json',
    summary:
      'Public keys of the devices that may connect, as a JWKS (key id = device id; revoked devices left out), for a broker that verifies device tokens itself',
    auth: 'none',
    responses: { '200': '{keys: [{kty, crv, x, kid, alg, use}]}' },
  },
  {
    method: 'get',
    path: '/api/v1/devices/{id}/telemetry',
    summary:
      "A device's telemetry over the last `hours`, in at most `points` buckets: CPU, load, memory, temperature, GPU, free disk, backlog and analysis rate",
    auth: 'devices.read',
    query: telemetryQuerySchema,
    responses: {
      '200': '{deviceId, from, to, bucketSeconds, points: [{at, reports, cpuPercent, ...}]}',
      '400': 'a query that is not valid, with the reason',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'post',
    path: '/api/v1/devices/{id}/revoke',
    summary:
      'Revoke a device: its HTTP requests and new MQTT connections are refused at once, an open connection is cut within seconds; its un-synced data stays on the box',
    auth: 'devices.enrol',
    responses: {
      ...ok,
      '404': 'no such device within the caller’s sites',
      '409': 'already revoked',
    },
  },
  {
    method: 'post',
    path: '/api/v1/devices/{id}/commands',
    summary:
      'Send a device a remote command (restart-capture, collect-logs, self-test) by MQTT QoS 1; the box refuses it during a procedure unless safeDuringProcedure, and answers `expired` past ttlSeconds',
    auth: 'devices.enrol',
    body: commandRequestSchema,
    responses: {
      '201': '{id, kind, status: issued, issuedAt, expiresAt, sent}',
      '400': 'an unknown kind or a bad ttlSeconds',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'get',
    path: '/api/v1/devices/{id}/commands',
    summary:
      "A device's commands, newest first, with what the box answered (an unanswered one past its expiry reads `expired`; collected logs linked by `detail.logsUrl`)",
    auth: 'devices.read',
    responses: {
      '200': '{items: [{id, kind, status, reason, detail, issuedAt, expiresAt, updatedAt}]}',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'put',
    path: '/api/v1/devices/{id}/config',
    summary:
      "Set a device's desired configuration (a part of the edge's configuration file, checked with the edge's own schema and ranges; box-only keys refused); sent to the box as a `config` command, which applies what it can at once and defers what would disturb a procedure",
    auth: 'devices.enrol',
    body: desiredEdgeConfigSchema,
    responses: {
      '200': '{deviceId, desired, desiredVersion, commandId, sent}',
      '400': 'every bad key, each named, with why',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'get',
    path: '/api/v1/devices/{id}/config',
    summary:
      "A device's desired configuration against what the box reports: state in-sync, pending, drifted (or none), and the difference key by key with why",
    auth: 'devices.read',
    responses: {
      '200':
        '{state, desired, desiredVersion, reported, reportedVersion, overridden, pending, difference: [{key, desired, reported, why}]}',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'post',
    path: '/api/v1/devices/{id}/commands/{commandId}/logs',
    summary:
      'The logs a collect-logs command gathered, sent by the device itself; stored in the object store',
    auth: 'device',
    body: commandLogsSchema,
    responses: {
      '201': '{key, bytes}',
      '403': 'another device’s command',
      '404': 'no such collect-logs command',
    },
  },
  {
    method: 'post',
    path: '/api/v1/models',
    summary:
      'Register a model version by its manifest; its files follow, each streamed by PUT to the path answered',
    auth: 'models.manage',
    body: modelCreateSchema,
    responses: {
      '201': '{id, version, task, manifest, ready: false, uploads: [{name, path}]}',
      '400': 'a manifest that is not valid, with the reason',
      '409': 'that version exists',
    },
  },
  {
    method: 'get',
    path: '/api/v1/models',
    summary: 'Every model version the hub holds, newest first, with which files are stored',
    auth: 'models.manage',
    responses: {
      '200': '{items: [{id, version, task, manifest, storedFiles, ready, uploadedBy, createdAt}]}',
    },
  },
  {
    method: 'put',
    path: '/api/v1/models/{id}/{version}/files/{name}',
    summary:
      "One file of a model version as the raw body, streamed to the object store (models/{id}/{version}/{name}) and kept only if its SHA-256 is the manifest's",
    auth: 'models.manage',
    binaryBody: true,
    responses: {
      '200': '{name, bytes, sha256, ready}',
      '400': 'the SHA-256 differs from the manifest (the file named)',
      '404': 'no such model version, or no such file in its manifest',
      '413': 'too large',
    },
  },
  {
    method: 'post',
    path: '/api/v1/rollouts',
    summary:
      'Roll a model version out to the devices of one’s sites (with a tag): a canary group first, then a percentage of the rest; stopped once maxFailures devices fail',
    auth: 'models.manage',
    body: rolloutRequestSchema,
    responses: {
      '201': '{id, status: running, stage: canary, devices: [{deviceId, stage, position, state}]}',
      '400': 'a request that is not valid, with the reason',
      '404': 'no such model version',
      '409': 'the model is missing files, or no device matches',
    },
  },
  {
    method: 'get',
    path: '/api/v1/rollouts',
    summary: 'Rollouts, newest first, each with how many of its devices are in each state',
    auth: 'models.manage',
    responses: { '200': '{items: [{id, modelId, version, status, stage, reason, counts}]}' },
  },
  {
    method: 'get',
    path: '/api/v1/rollouts/{id}',
    summary:
      'A rollout and each device’s state (pending, deferred, installing, healthy, failed with the reason, rolling-back, rolled-back)',
    auth: 'models.manage',
    responses: { '200': '{id, status, stage, counts, devices: [...]}', '404': 'no such rollout' },
  },
  ...(['pause', 'resume', 'rollback'] as const).map((action) => ({
    method: 'post' as const,
    path: `/api/v1/rollouts/{id}/${action}`,
    summary: {
      pause: 'Pause a running rollout: no further device is sent the install',
      resume: 'Resume a paused rollout',
      rollback:
        'Roll a rollout back: every device that took the new version is told to put back the one it kept (no download)',
    }[action],
    auth: 'models.manage' as const,
    responses: { '200': 'the rollout', '404': 'no such rollout', '409': 'not possible from its status' },
  })),
  {
    method: 'patch',
    path: '/api/v1/devices/{id}',
    summary: "Set a device's site and/or room (its procedures follow it), and/or its tags",
    auth: 'devices.enrol',
    body: devicePlaceSchema,
    responses: {
      ...ok,
      '403': 'a site not the caller’s, or clearing a site (admins only)',
      '404': 'no such device within the caller’s sites',
    },
  },
  {
    method: 'get',
    path: '/api/v1/procedures',
    summary: 'Procedures, filtered, a page at a time (cursor)',
    auth: 'procedures.read',
    query: procedureQuerySchema,
    responses: { ...ok, '400': 'a filter that is not valid, with the reason' },
  },
  {
    method: 'get',
    path: '/api/v1/procedures/{id}',
    summary: 'A procedure with its recording segments',
    auth: 'procedures.read',
    responses: { ...ok, '404': 'no such procedure' },
  },
  {
    method: 'get',
    path: '/api/v1/procedures/{id}/timeline',
    summary: 'Findings, alerts, landmarks, phases, in/out of body, quality and chat on one time axis',
    auth: 'procedures.read',
    responses: { ...ok, '404': 'no such procedure' },
  },
  {
    method: 'get',
    path: '/api/v1/procedures/{id}/playback',
    summary: 'The verified segments as short-lived presigned URLs, to play as one',
    auth: 'procedures.read',
    responses: { ...ok, '404': 'no such procedure' },
  },
  {
    method: 'get',
    path: '/assets/{name}',
    summary: 'The portal bundle (JS, CSS)',
    auth: 'none',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/uploads',
    summary: "Start (or resume) a recording's multipart upload",
    auth: 'device',
    body: startSchema,
    responses: { '201': 'the upload', '200': 'the open upload' },
  },
  {
    method: 'post',
    path: '/api/v1/uploads/{id}/parts',
    summary: 'Presigned URLs for parts',
    auth: 'device',
    body: partsSchema,
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/uploads/{id}/complete',
    summary: 'Complete; the hub verifies the SHA-256',
    auth: 'device',
    body: completeSchema,
    responses: { '202': 'verifying' },
  },
  { method: 'get', path: '/api/v1/uploads/{id}', summary: 'An upload', auth: 'device', responses: ok },
  {
    method: 'post',
    path: '/api/v1/videos/upload',
    summary:
      'Upload a video in one streamed request (Content-Length required), for ?site= (absent: the uploader’s only site)',
    auth: 'videos.upload',
    binaryBody: true,
    query: uploadSiteQuerySchema,
    responses: {
      '201': '{id, procedureId, sha256, bytes, durationMs}',
      '400': 'no site named, and the uploader has several',
      '403': 'a site not the uploader’s, or the uploader has none',
      '411': 'no Content-Length',
      '413': 'over GIC_UPLOAD_MAX_MB',
      '415': 'not a video GStreamer can decode',
    },
  },
  {
    method: 'post',
    path: '/api/v1/videos/upload/sessions',
    summary: 'Start a resumable upload',
    auth: 'videos.upload',
    body: uploadSessionSchema,
    responses: {
      '201': '{uploadId, offset, partBytes, bytes, status}',
      '400': 'no site named, and the uploader has several',
      '403': 'a site not the uploader’s, or the uploader has none',
      '413': 'too large',
    },
  },
  {
    method: 'get',
    path: '/api/v1/videos/upload/sessions/{uploadId}',
    summary: 'Where a resumable upload stands',
    auth: 'videos.upload',
    responses: ok,
  },
  {
    method: 'patch',
    path: '/api/v1/videos/upload/sessions/{uploadId}',
    summary: 'Append a chunk at Upload-Offset; the answer (and its Upload-Offset) says where to go on',
    auth: 'videos.upload',
    binaryBody: true,
    responses: { '200': '{offset}', '409': 'wrong offset (the right one in Upload-Offset)' },
  },
  {
    method: 'post',
    path: '/api/v1/videos/upload/sessions/{uploadId}/complete',
    summary: 'Complete a resumable upload: probed, becomes a procedure',
    auth: 'videos.upload',
    responses: { '201': '{id, procedureId, sha256, bytes, durationMs}', '415': 'not a video' },
  },
  {
    method: 'get',
    path: video(''),
    summary: 'A video (its id is the procedure id)',
    auth: 'procedures.read',
    responses: ok,
  },
  {
    method: 'post',
    path: video('/process'),
    summary: 'Start batch processing',
    auth: 'procedures.process',
    responses: { '202': '{runId}', '409': 'a run is going' },
  },
  {
    method: 'get',
    path: video('/status'),
    summary: 'Processing status with stages and ETA',
    auth: 'procedures.read',
    responses: ok,
  },
  {
    method: 'get',
    path: video('/events'),
    summary: 'Processing status as server-sent events (event: status)',
    auth: 'procedures.read',
    responses: ok,
  },
  {
    method: 'post',
    path: video('/cancel'),
    summary: 'Cancel processing',
    auth: 'procedures.process',
    responses: { '202': 'cancelled', '409': 'nothing going' },
  },
  {
    method: 'get',
    path: video('/summary'),
    summary: 'Findings, quality, withdrawal, phases, notes',
    auth: 'procedures.read',
    responses: { '200': 'OK', '404': 'not processed yet' },
  },
  {
    method: 'get',
    path: video('/keyframes'),
    summary: 'Masked key frames (presigned URLs)',
    auth: 'procedures.read',
    responses: ok,
  },
  {
    method: 'post',
    path: video('/export'),
    summary: 'Build the export bundle (clinical, or teaching: no room conversation, no device names)',
    auth: 'exports.create',
    body: exportRequestSchema,
    responses: { '202': '{exportId, purpose}', '409': 'not de-identified yet' },
  },
  {
    method: 'get',
    path: video('/export'),
    summary: 'The newest export (of ?purpose=) and its presigned URL; trainees get teaching exports only',
    auth: 'exports.read',
    query: exportQuerySchema,
    responses: ok,
  },
  {
    method: 'get',
    path: '/api/v1/jobs',
    summary: 'Job queues, with failed jobs',
    auth: 'jobs.manage',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/jobs/{queue}/pause',
    summary: 'Pause a queue',
    auth: 'jobs.manage',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/jobs/{queue}/resume',
    summary: 'Resume a queue',
    auth: 'jobs.manage',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/jobs/{queue}/{jobId}/retry',
    summary: 'Retry a failed job',
    auth: 'jobs.manage',
    responses: { '202': 'retried', '404': 'no such failed job' },
  },
  {
    method: 'put',
    path: '/api/v1/retention/holds/{procedureId}',
    summary: 'Set or lift a legal hold',
    auth: 'retention.manage',
    body: legalHoldSchema,
    responses: ok,
  },
  {
    method: 'get',
    path: '/api/v1/retention/purges',
    summary: 'What the retention purge deleted, and why',
    auth: 'retention.manage',
    query: purgesQuerySchema,
    responses: ok,
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'Audit records, newest first (auditors)',
    auth: 'audit.read',
    query: auditFilterSchema,
    responses: { '200': 'a page and the next cursor', '400': 'bad filter' },
  },
  {
    method: 'get',
    path: '/api/v1/audit.csv',
    summary: 'Every matching audit record as CSV, streamed (auditors)',
    auth: 'audit.read',
    query: auditFilterSchema,
    responses: { '200': 'text/csv', '400': 'bad filter' },
  },
  {
    method: 'get',
    path: '/api/v1/chat/status',
    summary: "The chat model's state (ready, or off with the reason) and the not-a-diagnosis notice",
    auth: 'chat.use',
    responses: ok,
  },
  {
    method: 'post',
    path: '/api/v1/chat/message',
    summary:
      'Ask about a whole procedure (review chat): answered from its timeline with cited times, or by the model; Server-Sent Events when the client accepts text/event-stream',
    auth: 'chat.use',
    body: chatRequestSchema,
    responses: {
      '201': '{message, reply, model, notice} (JSON)',
      '200': 'text/event-stream: question, delta..., answer (or error)',
      '404': 'no such procedure',
      '409': 'no procedure named, or the session is about another procedure or is a room conversation',
    },
  },
  {
    method: 'get',
    path: '/api/v1/chat/{sessionId}',
    summary: "A chat session's messages (a review session, or a room's as its edge synced it)",
    auth: 'chat.use',
    responses: { '200': '{sessionId, procedureId, messages, notice}', '404': 'no such session' },
  },
  {
    method: 'get',
    path: '/api/v1/chat/procedures/{procedureId}',
    summary: "A procedure's conversations: the room's and the review chat's",
    auth: 'chat.use',
    responses: { '200': '{procedureId, room, review}', '404': 'no such procedure' },
  },
];

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });

/** The OpenAPI 3.1 document, built from HUB_ROUTES and their zod schemas. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of HUB_ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query
      ? Object.entries(r.query.shape).map(([name, s]) => ({
          name,
          in: 'query',
          required: false,
          schema: schema(s as z.ZodType),
        }))
      : [];
    paths[r.path] ??= {};
    paths[r.path]![r.method] = {
      summary: r.summary,
      ...(r.auth === 'none' ? { security: [] } : { 'x-gic-auth': r.auth }),
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body) } } } }
        : r.binaryBody
          ? {
              requestBody: {
                required: true,
                content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
              },
            }
          : {}),
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([code, description]) => [code, { description }]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'GI Copilot hub API', version },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
