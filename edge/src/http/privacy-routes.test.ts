import { type AppEnv, installErrorHandler, requestContext } from '@gic/shared/http/request-context.js';
import { createLogger } from '@gic/shared/logging/logger.js';
import type { FrameAnalysis } from '@gic/shared/messages/events.js';
import { deviceEventSchema } from '@gic/shared/messages/events.js';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../outbox/sqlite-outbox.js';
import { DeviceMaskLayout } from '../privacy/device-mask-layout.js';
import { MaskLayoutStore } from '../privacy/mask-layout-store.js';
import { openEdgeDatabase } from '../store/edge-database.js';
import { privacyRoutes } from './privacy-routes.js';

function setUp(path = ':memory:') {
  const db = openEdgeDatabase(path);
  const outbox = new SqliteOutbox(db);
  const layout = new DeviceMaskLayout(new MaskLayoutStore(db, outbox));
  let changes = 0;
  layout.onChange(() => changes++);
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(createLogger('test', 'silent')));
  installErrorHandler(app);
  app.route(
    '/api/v1/privacy',
    privacyRoutes({
      mode: 'mask-outside',
      layersOff: [],
      configured: [{ x: 0, y: 0.9, w: 1, h: 0.1 }],
      layout,
    }),
  );
  const put = (body: unknown) =>
    app.request('/api/v1/privacy/layout', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const layoutEvents = () =>
    outbox
      .due(100, new Date())
      .filter((e) => e.type === 'device.mask-layout')
      .map((e) => deviceEventSchema.parse(JSON.parse(e.payload)));
  return { db, app, put, layout, layoutEvents, changes: () => changes };
}

/** An in-body analysis of a 1280x720 frame with one masked text line (a banner) in it. */
const withBanner = (i: number, inBody = true): FrameAnalysis => ({
  frameIndex: i,
  ptsMs: i * 200,
  width: 1280,
  height: 720,
  quality: { sharpness: 40, brightness: 0.4, blurred: false, exposure: 'ok', inBody },
  privacyRegions: [{ x: 0.02, y: 0.02, w: 0.4, h: 0.05, kind: 'text' }],
  detections: [],
  models: [],
  modelsOff: [],
  latencyMs: 1,
});

describe('the device mask layout', () => {
  it('learns the banner from in-body frames, stores it and queues it for the hub', () => {
    const { layout, layoutEvents, changes } = setUp();
    // Out of the body the picture shows the room: nothing is learned from it.
    for (let i = 0; i < 20; i++) layout.observe(withBanner(i, false));
    expect(layout.boxes).toEqual([]);
    for (let i = 0; i < 8; i++) layout.observe(withBanner(i));
    expect(layout.boxes).toHaveLength(1);
    expect(changes()).toBe(1);
    const [event] = layoutEvents();
    expect(event).toMatchObject({ type: 'device.mask-layout', body: { change: 'learned', by: null } });
    expect(event!.procedureId ?? null).toBeNull();
  });

  it('keeps the layout across restarts, and masks nothing by it when the layer is off', () => {
    const file = `${process.env.TMPDIR ?? '/tmp'}/gic-layout-${process.pid}-${Date.now()}.db`;
    const first = setUp(file);
    for (let i = 0; i < 8; i++) first.layout.observe(withBanner(i));
    first.db.close();
    const db = openEdgeDatabase(file);
    const store = new MaskLayoutStore(db, new SqliteOutbox(db));
    expect(new DeviceMaskLayout(store).boxes).toHaveLength(1);
    const off = new DeviceMaskLayout(store, false);
    expect(off.masking).toEqual([]);
    for (let i = 0; i < 8; i++)
      off.observe({ ...withBanner(i), privacyRegions: [{ x: 0.5, y: 0.5, w: 0.1, h: 0.05 }] });
    expect(off.boxes).toHaveLength(1);
    db.close();
  });
});

describe('privacy routes', () => {
  it('shows the mode, configured boxes and layout, and replaces the layout after an edit', async () => {
    const { app, put, layoutEvents, changes } = setUp();
    const shown = await (await app.request('/api/v1/privacy')).json();
    expect(shown).toEqual({
      mode: 'mask-outside',
      layersOff: [],
      configured: [{ x: 0, y: 0.9, w: 1, h: 0.1 }],
      layout: [],
    });
    const box = { x: 0.8, y: 0.02, w: 0.18, h: 0.05, origin: 'manual' };
    const res = await put({ boxes: [box], by: 'nurse.kim' });
    expect(res.status).toBe(200);
    expect((await res.json()).layout).toEqual([box]);
    expect(changes()).toBe(1);
    expect(layoutEvents().at(-1)).toMatchObject({
      body: { boxes: [box], change: 'edited', by: 'nurse.kim' },
    });
  });

  it('refuses a region outside the frame, without area, or too many, with a clear reason', async () => {
    const { put, layout } = setUp();
    for (const body of [
      { boxes: [{ x: 0.9, y: 0, w: 0.5, h: 0.1, origin: 'manual' }] },
      { boxes: [{ x: 0.1, y: 0.1, w: 0, h: 0.1, origin: 'manual' }] },
      { boxes: [{ x: 0.1, y: 0.1, w: 0.1, h: 0.1, origin: 'guessed' }] },
      { boxes: Array.from({ length: 33 }, () => ({ x: 0, y: 0, w: 0.1, h: 0.1, origin: 'manual' })) },
      'not json',
    ]) {
      const res = await put(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error).toBeTruthy();
    }
    expect(layout.boxes).toEqual([]);
  });
});
