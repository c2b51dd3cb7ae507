/**
 * The copilot on the in-room screen, in Chromium, with a model that answers: the box is started as a
 * user starts it (`node edge/dist/main.js`, a clean environment, no hub reachable: the room works
 * offline) with its VLM on an OpenAI-compatible server this test runs (scripted, streaming word by
 * word at a pace a person can see). The screen asks for a frame analysis and a chat answer, and shows
 * both as a person would see them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleVideo } from '@gic/shared/media/sample-video.js';
import {
  type ChatCompletionBody,
  type OpenAiTestServer,
  startOpenAiTestServer,
} from '@gic/shared/testing/openai-test-server.js';
import Database from 'better-sqlite3';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './helpers.js';
import { freePort } from './ports.js';
import { kill, ready, spawnAsUser, type UserProcess } from './processes.js';

const FINDINGS = {
  finding: 'small sessile polyp',
  findingType: 'polyp',
  location: 'sigmoid',
  sizeMm: 4,
  paris: '0-Is',
  nice: 2,
  bowelPrep: 3,
  imageQuality: { usable: true, remarks: ['slight blur'] },
  scene: {
    light: 'narrow-band',
    dye: false,
    instrument: 'none',
    flushing: false,
    occluded: false,
    outsidePatient: false,
  },
};
const ANSWER =
  'The mucosa in view looks smooth and pink, with a regular vascular pattern and no visible lesion at this moment.';
const QUESTION = 'What does the mucosa look like here?';

/** Whether a request is the frame analysis (its system prompt asks for one JSON object). */
const isFrameAnalysis = (body: ChatCompletionBody) =>
  body.messages.some(
    (m) => m.role === 'system' && typeof m.content === 'string' && m.content.includes('ONE JSON object'),
  );
/** The pictures a request carried (data URLs). */
const pictures = (body: ChatCompletionBody) =>
  body.messages.flatMap((m) =>
    typeof m.content === 'string' ? [] : m.content.flatMap((p) => (p.image_url ? [p.image_url.url] : [])),
  );

describe('the copilot on the in-room screen, with a model that answers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gic-room-copilot-'));
  let vlm: OpenAiTestServer;
  let edge: UserProcess;
  let edgeUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    const clip = join(dir, 'clip.mp4');
    const [server, launched, port, noHub] = await Promise.all([
      startOpenAiTestServer({
        answer: (body) => (isFrameAnalysis(body) ? JSON.stringify(FINDINGS) : ANSWER),
        // About 2.5 s for the answer's 19 words: the screen must show it growing.
        chunkDelayMs: 130,
      }),
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      }),
      freePort(),
      freePort(),
      generateSampleVideo(clip, { seconds: 10 }),
    ]);
    vlm = server;
    browser = launched;
    edgeUrl = `http://127.0.0.1:${port}`;
    edge = spawnAsUser('edge', {
      GIC_EDGE_DATA_DIR: join(dir, 'edge'),
      GIC_EDGE_PORT: String(port),
      GIC_EDGE_NAME: 'room-copilot-test',
      GIC_HUB_URL: `http://127.0.0.1:${noHub}`, // nothing listens: the room is offline
      GIC_SOURCE: `file:${clip}`,
      GIC_SOURCE_LOOP: 'true',
      GIC_REPLAY_REALTIME: 'true',
      GIC_MODELS: 'pp-ocrv4-det',
      GIC_PROCEDURE_AUTO_START_S: '0',
      GIC_VLM_BACKEND: 'openai',
      GIC_VLM_OPENAI_URL: vlm.url,
      GIC_VLM_OPENAI_MODEL: 'medgemma-test',
      GIC_VLM_FRAME_EVERY_S: '0', // only on request here: the count below is exact
    });
    await ready(edge.child, `${edgeUrl}/health/ready`, 60_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (edge) await kill(edge.child, 'SIGTERM');
    await vlm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyses the frame on request and streams a chat answer onto the screen, stored for the hub', async () => {
    const t0 = Date.now();
    const phase = (what: string) =>
      console.log(`room-copilot: ${what} at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(edgeUrl);
    await page.waitForFunction(
      () => document.querySelector('#chat-model')?.textContent?.includes('Model: medgemma-test'),
      undefined,
      { timeout: 30_000 },
    );
    phase('model shown');
    // A procedure runs: the chat takes questions about it.
    await page.waitForSelector('#chat-input:not([disabled])', { timeout: 30_000 });
    phase('chat open');

    // The frame analysis, on request: the model's reading with the parse rate, marked as AI-generated.
    await page.click('#frame-findings-ask');
    await page.waitForFunction(
      () => document.querySelector('#frame-findings-latest')?.textContent?.includes('small sessile polyp'),
      undefined,
      { timeout: 30_000 },
    );
    phase('frame findings shown');
    const panel = (await page.textContent('#frame-findings')) ?? '';
    expect(panel).toContain('AI-generated, educational, not a diagnosis');
    expect(panel).toContain('small sessile polyp, sigmoid, about 4 mm');
    expect(panel).toContain('Paris 0-Is, NICE 2');
    expect(panel).toContain('Scene: narrow-band');
    expect(panel).toContain('100.0% of 1 (0 after repair, 0 unusable, 0 model errors)');
    const analysis = vlm.requests.filter(isFrameAnalysis);
    expect(analysis).toHaveLength(1);
    expect(pictures(analysis[0]!)).toHaveLength(1);

    // The chat: the answer grows on the screen word by word, then stands as the stored answer.
    await page.fill('#chat-input', QUESTION);
    await page.click('#chat-form button[type=submit]');
    phase('question sent');
    const seen = new Set<string>();
    // One read of the screen per poll, in the page: a read that waits for an element would stall
    // the poll for Playwright's 30 s default once the pending answer is gone.
    const readChat = () =>
      page.evaluate(() => {
        const done = document.querySelectorAll('#chat-log li.chat-assistant[data-source="model"] .chat-text');
        return {
          partial: document.querySelector('#chat-pending .chat-text')?.textContent?.trim() ?? null,
          done: done[done.length - 1]?.textContent?.trim() ?? null,
        };
      });
    let last: Awaited<ReturnType<typeof readChat>> | undefined;
    await until(
      'the streamed answer to finish on the screen',
      async () => {
        last = await readChat();
        if (last.partial && last.partial !== '…') seen.add(last.partial);
        return last.done === ANSWER ? true : undefined;
      },
      30_000,
      40,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the screen last showed ${JSON.stringify(last)}`);
    });
    phase('answer shown');
    // At least two different partial answers were on the screen, each a beginning of the answer.
    const partials = [...seen].filter((p) => p !== ANSWER);
    expect(partials.length).toBeGreaterThanOrEqual(2);
    for (const p of partials) expect(ANSWER.startsWith(p)).toBe(true);
    expect(await page.textContent('#chat-notice')).toContain('not a diagnosis');
    // The model was asked the question, about the screen's current picture.
    const chat = vlm.requests.filter((b) => !isFrameAnalysis(b));
    expect(chat).toHaveLength(1);
    expect(JSON.stringify(chat[0]!.messages)).toContain(QUESTION);
    expect(pictures(chat[0]!)).toHaveLength(1);
    await page.screenshot({
      path: join(import.meta.dirname, 'artifacts', 'room-copilot.png'),
      fullPage: true,
    });

    // Stored on the box and queued for the hub (which is unreachable): nothing is lost offline.
    const db = new Database(join(dir, 'edge', 'edge.db'), { readonly: true, fileMustExist: true });
    try {
      const stored = db
        .prepare("SELECT id, text, source FROM chat_messages WHERE role = 'assistant'")
        .all() as { id: string; text: string; source: string }[];
      expect(stored).toEqual([expect.objectContaining({ text: ANSWER, source: 'model' })]);
      const queued = db.prepare('SELECT type, payload FROM outbox').all() as {
        type: string;
        payload: string;
      }[];
      expect(queued.some((e) => e.payload.includes(stored[0]!.id))).toBe(true);
    } finally {
      db.close();
    }
  }, 120_000);
});
