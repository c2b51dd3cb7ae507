import { randomUUID } from 'node:crypto';
import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import { ScriptedVlmEngine } from '@gic/shared/testing/scripted-vlm.js';
import type { VlmRequest } from '@gic/shared/vlm/vlm-engine.js';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/test-database.js';
import type { Database } from '../db/database.js';
import { IngestService } from '../ingest/ingest-service.js';
import { deviceEvents } from '../testing/device-events.js';
import { signedInUser } from '../testing/signed-in-user.js';
import { hubChatRoutes } from './chat-routes.js';

/** A scripted answer that keeps each request the model was given. */
const answering = (seen: VlmRequest[], text: string) => (req: VlmRequest) => {
  seen.push(req);
  return text;
};

const deviceId = 'edge-chat01';
const secret = new Uint8Array(32).fill(7);
const { iso, event } = deviceEvents();
const frame = (procedureId: string, i: number) =>
  event(
    'frame.analysed',
    procedureId,
    {
      frameIndex: i,
      ptsMs: i * 500,
      width: 512,
      height: 288,
      quality: { sharpness: 40, brightness: 0.4, blurred: false, exposure: 'ok', inBody: true },
      privacyRegions: [],
      detections:
        i >= 4 && i < 8
          ? [{ label: 'polyp', score: 0.9, box: { x: 0.4, y: 0.4, w: 0.1, h: 0.1 }, modelId: 'tiny' }]
          : [],
      models: [],
      modelsOff: [],
      latencyMs: 5,
    },
    i * 500,
  );

describe('hub chat routes (against PostgreSQL)', () => {
  let db: Database;
  let app: Hono<AppEnv>;
  let token: string;
  const seen: VlmRequest[] = [];
  const engine = new ScriptedVlmEngine(
    answering(seen, 'At [0:02] the detector marked a polyp; the reviewer decides.'),
  );
  const procedureId = randomUUID();
  const roomSessionId = randomUUID();

  beforeAll(async () => {
    ({ db } = await createTestDatabase());
    await db.query("INSERT INTO devices (id, name, public_jwk) VALUES ($1, 'room', '{}')", [deviceId]);
    const ingest = new IngestService(db, new Uint8Array(32), 'mqtt://unused', createLogger('test', 'silent'));
    // A 10 s procedure: a polyp from 2 s to 4 s, the cecum at 6 s, and a question asked in the room.
    const events = [
      event('procedure.started', procedureId, {
        startedAt: iso(0),
        source: { kind: 'file', label: 'clip.mp4' },
      }),
      ...Array.from({ length: 20 }, (_, i) => frame(procedureId, i)),
      event('landmark.marked', procedureId, { landmark: 'cecum', at: iso(6000), by: 'dr.jones' }, 6000),
      event('procedure.ended', procedureId, {
        endedAt: iso(10_000),
        analysedFrames: 20,
        reason: 'source-ended',
      }),
      event('chat.message', procedureId, {
        messageId: randomUUID(),
        sessionId: roomSessionId,
        role: 'user',
        text: 'how many polyps so far?',
        at: iso(9000),
      }),
      event('chat.message', procedureId, {
        messageId: randomUUID(),
        sessionId: roomSessionId,
        role: 'assistant',
        text: 'So far, 1 polyp sighting: at 0:02.',
        at: iso(9000),
        source: 'timeline',
        citations: [{ tMs: 2000, at: iso(2000), label: 'polyp 0.90' }],
      }),
    ];
    for (const e of events)
      await ingest.handle(`gic/v1/d/${deviceId}/events`, Buffer.from(JSON.stringify(e)));
    app = new Hono<AppEnv>();
    app.use('*', requestContext(createLogger('test', 'silent')));
    installErrorHandler(app);
    app.route('/api/v1/chat', hubChatRoutes(db, { db, secret, apiRate: null }, engine));
    token = (await signedInUser(db, secret, 'reviewer1', 'reviewer')).token;
    // The reviewer sees the room's site only (auth/site-scope.ts).
    await db.query("UPDATE devices SET site = 'main' WHERE id = $1", [deviceId]);
    await db.query("UPDATE users SET sites = '{main}' WHERE username = 'reviewer1'");
  });
  afterAll(() => db.end());

  const post = (body: unknown, accept = 'application/json') =>
    app.request('/api/v1/chat/message', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const get = (path: string) => app.request(path, { headers: { authorization: `Bearer ${token}` } });

  it('answers over the whole procedure, from its timeline or the model, in the user name, and keeps both', async () => {
    const res = await post({ procedureId, text: 'How long was the withdrawal?' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      message: { sessionId: string; by: string };
      reply: { text: string; source: string; citations: { tMs: number }[] };
    };
    expect(body.message.by).toBe('reviewer1');
    expect(body.reply.source).toBe('timeline');
    expect(body.reply.text).toMatch(
      /cecum was marked at 0:06 into the procedure \(10:00:06\) and lasted 4 s, to 0:10/,
    );
    const { sessionId } = body.message;

    // Streamed, about the video's position: the model is given the record and that time.
    const sse = await post({ sessionId, text: 'What is this?', tMs: 2500 }, 'text/event-stream');
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await sse.text();
    expect(text).toMatch(/^event: question\n/);
    expect(text.match(/^event: delta$/gm)!.length).toBeGreaterThanOrEqual(1);
    const answer = text.match(/event: answer\ndata: (.*)/)![1]!;
    expect(JSON.parse(answer).message).toMatchObject({ source: 'model', citations: [{ tMs: 2000 }] });
    const record = seen[0]!.messages.at(-1)!.content;
    expect(record).toContain('"currentFrame":{"t":"0:03"');
    expect(record).toContain('"cecumReached":"0:06"');

    const session = (await (await get(`/api/v1/chat/${sessionId}`)).json()) as {
      messages: { role: string; source?: string; citations?: unknown[] }[];
    };
    expect(session.messages.map((m) => [m.role, m.source])).toEqual([
      ['user', undefined],
      ['assistant', 'timeline'],
      ['user', undefined],
      ['assistant', 'model'],
    ]);
    expect(session.messages[3]!.citations).toHaveLength(1);
  });

  it("shows the room's conversation beside the review chat's, and keeps the room's as it was", async () => {
    const both = (await (await get(`/api/v1/chat/procedures/${procedureId}`)).json()) as {
      room: { text: string; citations?: { tMs: number }[] }[];
      review: unknown[];
    };
    expect(both.room.map((m) => m.text)).toEqual([
      'how many polyps so far?',
      'So far, 1 polyp sighting: at 0:02.',
    ]);
    expect(both.room[1]!.citations).toEqual([expect.objectContaining({ tMs: 2000 })]);
    expect(both.review.length).toBeGreaterThanOrEqual(4);
    const room = (await (await get(`/api/v1/chat/${roomSessionId}`)).json()) as { messages: unknown[] };
    expect(room.messages).toHaveLength(2);

    const error = async (res: Response) => [res.status, ((await res.json()) as { error: string }).error];
    expect(await error(await post({ sessionId: roomSessionId, text: 'and now?' }))).toEqual([
      409,
      expect.stringMatching(/is a room's conversation/),
    ]);
    expect(await error(await post({ text: 'hello' }))).toEqual([
      409,
      expect.stringMatching(/procedureId is required/),
    ]);
    const unknown = randomUUID();
    expect(await error(await post({ procedureId: unknown, text: 'hello' }))).toEqual([
      404,
      `no procedure ${unknown}`,
    ]);
    expect((await app.request('/api/v1/chat/status')).status).toBe(401);
  });
});
