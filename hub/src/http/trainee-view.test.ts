/**
 * A trainee sees de-identified material only: checked by reading everything the procedure and chat
 * routes answer a trainee for the names and words put in by people (the endoscopist, the nurse who
 * acknowledged an alert, the room's conversation, another user's review chat), while a reviewer sees
 * them; and teaching exports, which leave the room's conversation and device names out.
 */
import { randomUUID } from 'node:crypto';
import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { ScriptedVlmEngine } from '@gic/shared/testing/scripted-vlm.js';
import type { VlmRequest } from '@gic/shared/vlm/vlm-engine.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { writeBundle } from '../exports/export-bundle.js';
import { insertExport, latestExport } from '../exports/exports-repo.js';
import { IngestService } from '../ingest/ingest-service.js';
import type { ObjectStore } from '../storage/object-store.js';
import { deviceEvents } from '../testing/device-events.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { hubChatRoutes } from './chat-routes.js';
import { procedureRoutes } from './procedure-routes.js';

const deviceId = 'edge-trainee01';
const secret = new Uint8Array(32).fill(9);
const { iso, event } = deviceEvents();

/** What people put in: none of it may reach a trainee. */
const OPERATOR = 'Dr Ottoline Vasquez';
const NURSE = 'nurse Bartholomew';
const ENDED_BY = 'Dr Wilhelmina Quist';
const ROOM_TEXT = 'is this where Mrs Penhaligon had her last polyp removed?';
const REVIEW_TEXT = 'Compare with Mr Fairweather from last week';
const PEOPLE = [OPERATOR, NURSE, ENDED_BY, 'Penhaligon', 'Fairweather', 'reviewer-anna'];

describe('what a trainee is shown (against PostgreSQL)', () => {
  let db: Database;
  let app: Hono<AppEnv>;
  const tokens: Record<string, string> = {};
  const procedureId = randomUUID();
  const roomSessionId = randomUUID();
  const reviewSessionId = randomUUID();
  /** What the model was given, request by request. */
  const prompts: VlmRequest[] = [];

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'endoscopy 3', '{}')", [deviceId]);
    const ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
    const alertId = randomUUID();
    const events = [
      event('procedure.started', procedureId, {
        startedAt: iso(0),
        source: { kind: 'file', label: 'clip.mp4' },
        trigger: 'operator',
        operator: OPERATOR,
      }),
      event(
        'alert.changed',
        procedureId,
        {
          alertId,
          label: 'polyp',
          modelId: 'tiny',
          modelVersion: '1',
          firstFrameIndex: 2,
          raisedFrameIndex: 2,
          raisedAt: iso(1000),
          bestScore: 0.9,
          box: { x: 0.4, y: 0.4, w: 0.1, h: 0.1 },
          shown: true,
          state: 'acknowledged',
          acknowledgedBy: NURSE,
          acknowledgedAt: iso(2000),
          dismissedBy: null,
          dismissedAt: null,
        },
        2000,
      ),
      event('chat.message', procedureId, {
        messageId: randomUUID(),
        sessionId: roomSessionId,
        role: 'user',
        text: ROOM_TEXT,
        at: iso(3000),
        by: OPERATOR,
      }),
      event('procedure.ended', procedureId, {
        endedAt: iso(10_000),
        analysedFrames: 0,
        reason: 'operator',
        endedBy: ENDED_BY,
      }),
    ];
    for (const e of events)
      await ingest.handle(`gic/v1/d/${deviceId}/events`, Buffer.from(JSON.stringify(e)));
    app = new Hono<AppEnv>();
    app.use('*', requestContext(createLogger('test', 'silent')));
    installErrorHandler(app);
    const auth = { db, secret, apiRate: null };
    app.route('/api/v1/procedures', procedureRoutes(db, {} as ObjectStore, auth));
    app.route(
      '/api/v1/chat',
      hubChatRoutes(
        db,
        auth,
        new ScriptedVlmEngine((req) => {
          prompts.push(req);
          return 'An answer.';
        }),
      ),
    );
    tokens.reviewer = (await signedInUser(db, secret, 'reviewer-anna', 'reviewer')).token;
    tokens.trainee = (await signedInUser(db, secret, 'trainee-tom', 'trainee')).token;
    // Both work at the room's site (auth/site-scope.ts).
    await db.query("UPDATE devices SET site = 'main' WHERE id = $1", [deviceId]);
    await db.query(
      "UPDATE users SET sites = ARRAY['main'] WHERE username IN ('reviewer-anna', 'trainee-tom')",
    );
    // A reviewer's own review chat, with a name in it.
    const asked = await call('reviewer', '/api/v1/chat/message', {
      sessionId: reviewSessionId,
      procedureId,
      text: REVIEW_TEXT,
    });
    expect(asked.status).toBe(201);
  });
  afterAll(() => db.end());

  const call = (who: string, path: string, body?: unknown) =>
    app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const read = async (who: string, path: string) => {
    const res = await call(who, path);
    return { status: res.status, text: await res.text() };
  };
  const paths = [
    '/api/v1/procedures',
    `/api/v1/procedures/${procedureId}`,
    `/api/v1/procedures/${procedureId}/timeline`,
    `/api/v1/chat/procedures/${procedureId}`,
  ];

  it('answers a reviewer with the names and the words, and a trainee with neither', async () => {
    const seenByReviewer = (await Promise.all(paths.map((p) => read('reviewer', p))))
      .map((r) => r.text)
      .join();
    for (const name of PEOPLE) expect(seenByReviewer).toContain(name);
    expect(seenByReviewer).toContain(ROOM_TEXT);

    for (const path of paths) {
      const { status, text } = await read('trainee', path);
      expect(status, path).toBe(200);
      for (const name of PEOPLE) expect(text, `${path} tells a trainee "${name}"`).not.toContain(name);
      expect(text).not.toContain(ROOM_TEXT);
    }
    // The de-identified material is still there: the alert, its time and state.
    const timeline = JSON.parse((await read('trainee', paths[2]!)).text);
    expect(timeline.alerts).toMatchObject([{ label: 'polyp', state: 'acknowledged', acknowledgedBy: null }]);
    expect(timeline.chat).toEqual([]);
  });

  it("does not let a trainee's search find a procedure by a person's name or the room's words", async () => {
    const count = async (who: string, q: string) =>
      JSON.parse((await read(who, `/api/v1/procedures?q=${encodeURIComponent(q)}`)).text).total as number;
    expect(await count('reviewer', 'Vasquez')).toBe(1);
    expect(await count('reviewer', 'Penhaligon')).toBe(1);
    expect(await count('trainee', 'Vasquez')).toBe(0);
    expect(await count('trainee', 'Penhaligon')).toBe(0);
    // What is not about people still finds it.
    expect(await count('trainee', 'endoscopy 3')).toBe(1);
  });

  it("keeps the room's conversation and other users' review chats from a trainee, but not their own", async () => {
    expect((await read('trainee', `/api/v1/chat/${roomSessionId}`)).status).toBe(404);
    expect((await read('trainee', `/api/v1/chat/${reviewSessionId}`)).status).toBe(404);
    expect(
      (await call('trainee', '/api/v1/chat/message', { sessionId: reviewSessionId, text: 'more?' })).status,
    ).toBe(404);
    expect((await read('reviewer', `/api/v1/chat/${roomSessionId}`)).status).toBe(200);

    const own = randomUUID();
    const before = prompts.length;
    const asked = await call('trainee', '/api/v1/chat/message', {
      sessionId: own,
      procedureId,
      text: 'Describe what the team did when the alert came',
    });
    expect(prompts).toHaveLength(before + 1);
    expect(asked.status).toBe(201);
    expect((await read('trainee', `/api/v1/chat/${own}`)).status).toBe(200);
    // The model answering a trainee is told no names; the one answering a reviewer is.
    const toTrainee = JSON.stringify(prompts.at(-1));
    for (const name of PEOPLE.slice(0, 3)) expect(toTrainee).not.toContain(name);
    const toReviewer = JSON.stringify(prompts[0]);
    expect(toReviewer).toContain(OPERATOR);
    const both = JSON.parse((await read('trainee', `/api/v1/chat/procedures/${procedureId}`)).text);
    expect(new Set(both.review.map((m: { sessionId: string }) => m.sessionId))).toEqual(new Set([own]));
  });

  it('builds a teaching export without the room conversation or device names, and finds exports by purpose', async () => {
    const files = async (purpose: 'clinical' | 'teaching') => {
      const added = new Map<string, string>();
      const zip = {
        files: [] as unknown[],
        add: async (name: string, content: unknown) => {
          added.set(name, typeof content === 'string' ? content : '');
        },
      };
      await writeBundle(
        zip as never,
        { db, store: {} as ObjectStore, deviceNames: true, purpose },
        procedureId,
        async () => {},
      );
      return added;
    };
    const clinical = await files('clinical');
    expect(clinical.get('chat/transcript.md')).toContain(ROOM_TEXT);
    expect(JSON.parse(clinical.get('metadata.json')!).device).toBe(deviceId);
    const teaching = await files('teaching');
    expect([...teaching.keys()].filter((f) => f.startsWith('chat/'))).toEqual([]);
    const everything = [...teaching.values()].join();
    expect(everything).not.toContain(deviceId);
    for (const name of PEOPLE) expect(everything).not.toContain(name);
    expect(JSON.parse(teaching.get('metadata.json')!).purpose).toBe('teaching');

    const clinicalId = randomUUID();
    await insertExport(db, clinicalId, procedureId, 'reviewer-anna');
    expect((await latestExport(db, procedureId, 'teaching'))?.id).toBeUndefined();
    const teachingId = randomUUID();
    await insertExport(db, teachingId, procedureId, 'reviewer-anna', 'teaching');
    expect((await latestExport(db, procedureId, 'teaching'))?.id).toBe(teachingId);
    expect((await latestExport(db, procedureId, 'clinical'))?.id).toBe(clinicalId);
  });
});
