import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FrameAnalyzer } from '../analysis/frame-analyzer.js';
import { createLogger } from '../logging/logger.js';
import { gst } from '../media/gst.js';
import { realtimeRoutes } from './realtime-routes.js';
import { type AppEnv, installErrorHandler, requestContext } from './request-context.js';

function jpeg(pattern: string): Promise<Buffer> {
  const pipeline = new (gst().Pipeline)(
    `videotestsrc num-buffers=1 pattern=${pattern} ! video/x-raw,width=320,height=180 ! videoconvert ! jpegenc ! appsink name=sink sync=false`,
  );
  pipeline.pollBus((m) => {
    if (m.type === 'eos') pipeline.stop();
  });
  pipeline.play();
  return new Promise((resolve) => pipeline.findChild('sink')!.pull((b) => resolve(b!)));
}

describe('realtime routes', () => {
  const analyzer = new FrameAnalyzer({
    modelsOff: [{ id: 'pp-ocrv4-det', reason: 'not loaded in this test' }],
  });
  const app = new Hono<AppEnv>();
  app.use('*', requestContext(createLogger('test', 'silent')));
  installErrorHandler(app);
  app.route(
    '/rt',
    realtimeRoutes({
      analyse: (f) => analyzer.analyse(f),
      size: { width: 128, height: 72 },
      live: () => ({ source: 'x' }),
    }),
  );
  const post = (path: string, body: BodyInit, type: string) =>
    app.request(path, { method: 'POST', body, headers: { 'content-type': type } });

  it('analyses posted images within a session and keeps the latest', async () => {
    const created = await post('/rt/session', JSON.stringify({ label: 'teaching case' }), 'application/json');
    expect(created.status).toBe(201);
    const { sessionId } = await created.json();
    const red = await post(
      `/rt/frame?sessionId=${sessionId}`,
      new Uint8Array(await jpeg('red')),
      'image/jpeg',
    );
    expect(red.status).toBe(200);
    const body = await red.json();
    expect(body.analysis).toMatchObject({ frameIndex: 0, width: 128, height: 72, quality: { inBody: true } });
    expect(body.analysis.modelsOff).toEqual([{ id: 'pp-ocrv4-det', reason: 'not loaded in this test' }]);
    const grey = await (
      await post(`/rt/frame?sessionId=${sessionId}`, new Uint8Array(await jpeg('white')), 'image/jpeg')
    ).json();
    expect(grey.analysis).toMatchObject({ frameIndex: 1, quality: { inBody: false } });
    const latest = await (await app.request(`/rt/analysis?sessionId=${sessionId}`)).json();
    expect(latest).toMatchObject({ label: 'teaching case', frames: 2, latest: { frameIndex: 1 } });
    expect(await (await app.request('/rt/analysis')).json()).toEqual({ source: 'x' });
  });

  it('answers bad input with a clear status and message', async () => {
    const { sessionId } = await (await post('/rt/session', '{}', 'application/json')).json();
    const cases: [Response | Promise<Response>, number, RegExp][] = [
      [post('/rt/frame?sessionId=nope', 'x', 'image/jpeg'), 400, /UUID/],
      [
        post('/rt/frame?sessionId=6f1b0b3e-2f4a-4c1e-9d2a-0c8a4b0e7a11', 'x', 'image/jpeg'),
        404,
        /no such session/,
      ],
      [post(`/rt/frame?sessionId=${sessionId}`, 'x', 'text/plain'), 415, /image\/jpeg/],
      [
        post(`/rt/frame?sessionId=${sessionId}`, 'not a jpeg at all', 'image/jpeg'),
        422,
        /not a decodable image/,
      ],
      [
        post(`/rt/frame?sessionId=${sessionId}`, new Uint8Array(11 * 1024 * 1024), 'image/png'),
        413,
        /larger than/,
      ],
      [post('/rt/session', '{"label": 5}', 'application/json'), 400, /label/],
    ];
    for (const [response, status, message] of cases) {
      const res = await response;
      expect(res.status).toBe(status);
      expect((await res.json()).error).toMatch(message);
    }
  });
});
