/**
 * The hub's review chat with a model that streams, in Chromium: a hub started as a user starts it
 * (clean environment, `node hub/dist/main.js`) with its OpenAI-compatible VLM backend pointed at a
 * test server that streams a scripted answer slowly; a procedure whose recording shows one colour per
 * second. The reviewer seeks the video, asks, sees the answer arrive in pieces and then stored, with
 * the not-a-diagnosis notice; the model was sent the recording's picture at the video's position.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, type Database } from '@gic/hub/db/database.js';
import { EMBEDDED_S3_CREDENTIALS_FILE } from '@gic/hub/embedded/embedded-s3-credentials.js';
import { ObjectStore } from '@gic/hub/storage/object-store.js';
import { decodeImage } from '@gic/shared/media/decode-image.js';
import {
  CLIP_COLOURS,
  centreColour,
  nearestColour,
  writeColourClip,
} from '@gic/shared/testing/colour-clip.js';
import {
  type ChatCompletionBody,
  type OpenAiTestServer,
  startOpenAiTestServer,
} from '@gic/shared/testing/openai-test-server.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './helpers.js';
import { workDir } from './privacy-run.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';
import { testHubEnv } from './test-database.js';

const PASSWORD = 'review-chat-stream-admin';
const ANSWER = 'This frame shows an even yellow field with no visible mucosal detail at all.';
/** Between streamed words (ms): slow enough that the page shows the answer growing. */
const WORD_MS = 250;

/** The picture a chat completions request carried, decoded. */
async function pictureOf(body: ChatCompletionBody) {
  for (const m of body.messages)
    if (Array.isArray(m.content))
      for (const part of m.content)
        if (part.type === 'image_url' && part.image_url) {
          const jpeg = Buffer.from(part.image_url.url.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
          return decodeImage(jpeg, { width: 64, height: 64 });
        }
  return undefined;
}

describe('the review chat streams a model answer about the picture at the video position', () => {
  const dir = workDir('review-chat-stream');
  const procedureId = randomUUID();
  let vlm: OpenAiTestServer;
  let hub: UserProcess;
  let db: Database;
  let store: ObjectStore;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    const clip = join(dir, 'segment-0.mp4');
    let env: Record<string, string>;
    [vlm, env, browser] = await Promise.all([
      startOpenAiTestServer({ answer: () => ANSWER, chunkDelayMs: WORD_MS }),
      testHubEnv(dir, PASSWORD),
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
      writeColourClip(clip, CLIP_COLOURS),
    ]);
    // The backend as an operator configures it (shared/src/vlm/vlm-config.ts).
    hub = spawnAsUser('hub', {
      ...env,
      GIC_VLM_BACKEND: 'openai',
      GIC_VLM_OPENAI_URL: vlm.url,
      GIC_VLM_OPENAI_MODEL: 'medgemma-test',
    });
    url = `http://127.0.0.1:${env.GIC_HUB_PORT}`;
    await ready(hub.child, `${url}/health/ready`, 60_000);
    db = createDatabase(env.DATABASE_URL!, 2);
    store = new ObjectStore({
      endpoint: `http://127.0.0.1:${env.GIC_EMBEDDED_S3_PORT}`,
      region: 'us-east-1',
      // The pair the hub made for its embedded S3 server, in its data directory.
      ...(JSON.parse(readFileSync(join(env.GIC_HUB_DATA_DIR!, EMBEDDED_S3_CREDENTIALS_FILE), 'utf8')) as {
        accessKeyId: string;
        secretAccessKey: string;
      }),
      bucket: 'gic-recordings',
      forcePathStyle: true,
    });
    // A room's ended procedure with one verified 6 s segment, as the edge's upload leaves it.
    const bytes = readFileSync(clip);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `recordings/edge-colours/${procedureId}/0.mp4`;
    await store.put(key, bytes, 'video/mp4');
    await db.query(
      `INSERT INTO devices (id, name, public_jwk) VALUES ('edge-colours', 'Colour room', '{}'::jsonb);
       INSERT INTO procedures (id, device_id, started_at, ended_at)
       VALUES ('${procedureId}', 'edge-colours', now() - interval '6 seconds', now());`,
    );
    await db.query(
      `INSERT INTO recordings (id, procedure_id, device_id, object_key, size_bytes, part_size, sha256_claimed,
                               sha256_verified, status)
       VALUES ($1, $2, 'edge-colours', $3, $4, 0, $5, $5, 'available')`,
      [randomUUID(), procedureId, key, bytes.length, sha256],
    );
    await db.query(
      `INSERT INTO recording_seals (device_id, recording_id, procedure_id, segment_index, status, final, size_bytes,
                                    sha256, last_seq)
       VALUES ('edge-colours', $1, $2, 0, 'ready', true, $3, $4, 0)`,
      [randomUUID(), procedureId, bytes.length, sha256],
    );
  }, 90_000);

  afterAll(async () => {
    if (hub) await kill(hub.child, 'SIGTERM');
    await browser?.close();
    store?.close();
    await db?.end();
    await vlm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in Chromium: seek, ask, the answer grows word by word, is stored, and the model saw that frame', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    try {
      const page = await context.newPage();
      await page.goto(`${url}/`);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('#login button[type=submit]');
      await page.locator(`#rows tr[data-procedure-id="${procedureId}"] a`).click();
      await page.waitForSelector(`#procedure[data-procedure-id="${procedureId}"]`, { timeout: 10_000 });
      await page.waitForFunction(
        () => {
          const v = document.getElementById('player') as HTMLVideoElement | null;
          return Boolean(v && v.readyState >= 1 && v.duration > 5);
        },
        undefined,
        { timeout: 15_000 },
      );
      expect(await page.getAttribute('#procedure', 'data-offset-ms')).toBe('0');
      await expect
        .poll(() => page.textContent('#chat-model'), { timeout: 10_000 })
        .toContain('medgemma-test');
      expect(await page.textContent('#chat-notice')).toContain('not a diagnosis');

      // The reviewer moves the video to 3.4 s: the fourth second's colour.
      await page.$eval('#player', (v) => {
        (v as HTMLVideoElement).currentTime = 3.4;
      });
      await page.waitForFunction(() => {
        const v = document.getElementById('player') as HTMLVideoElement;
        return !v.seeking && Math.abs(v.currentTime - 3.4) < 0.05;
      });
      await page.fill('#chat-input', 'What do we see in this frame?');
      await page.click('#chat-form button[type=submit]');

      // Part of the answer shows while the rest is still coming.
      const partial = await page.waitForFunction(
        (full) => {
          const text = document.getElementById('chat-pending')?.textContent?.trim() ?? '';
          return text.length > 8 && text !== '…' && full.startsWith(text) && text.length < full.length - 10
            ? text
            : false;
        },
        ANSWER,
        { timeout: 15_000, polling: 50 },
      );
      const partText = (await partial.jsonValue()) as string;
      expect(ANSWER.startsWith(partText)).toBe(true);
      await page.screenshot({ path: join(import.meta.dirname, 'artifacts', 'review-chat-streaming.png') });

      // Then the stored answer replaces it.
      const stored = page.locator('#review-chat li.chat-assistant[data-source="model"]');
      await stored.waitFor({ timeout: 20_000 });
      expect(await stored.textContent()).toContain(ANSWER);
      await expect.poll(() => page.locator('#chat-pending').count(), { timeout: 5_000 }).toBe(0);
      expect(await page.isVisible('#chat-notice')).toBe(true);
      expect(await page.textContent('#chat-notice')).toContain('not a diagnosis');

      // The model was sent the question with the video's position and the recording's picture there.
      expect(vlm.requests).toHaveLength(1);
      const request = vlm.requests[0]!;
      const text = request.messages
        .flatMap((m) => (Array.isArray(m.content) ? m.content.map((p) => p.text ?? '') : [m.content]))
        .join('\n');
      expect(text).toContain('What do we see in this frame?');
      expect(text).toContain('"currentFrame":{"t":"0:03","picture":"attached"');
      const picture = await pictureOf(request);
      expect(picture).toBeDefined();
      expect(nearestColour(centreColour(picture!))).toBe(3);

      // And the hub keeps it: the session read back through the API.
      const token = await adminToken(url, PASSWORD);
      const conversations = (await (
        await fetch(`${url}/api/v1/chat/procedures/${procedureId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { review: { role: string; text: string; source?: string }[] };
      expect(conversations.review.map((m) => [m.role, m.source ?? null])).toEqual([
        ['user', null],
        ['assistant', 'model'],
      ]);
      expect(conversations.review[1]!.text).toBe(ANSWER);
    } finally {
      await context.close();
    }
  }, 60_000);
});
