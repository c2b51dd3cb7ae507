import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type SecurityHeaderOptions, securityHeaders } from './security-headers.js';

function app(options: Partial<SecurityHeaderOptions> = {}) {
  const a = new Hono();
  a.use('*', securityHeaders({ tls: false, mediaOrigins: [], corsOrigins: [], ...options }));
  a.get('/', (c) => c.html('<!doctype html><p>portal</p>'));
  a.get('/api/v1/procedures', (c) => c.json({ items: [] }));
  a.post('/api/v1/procedures', (c) => c.json({ ok: true }, 201));
  a.get('/api/v1/cached', (c) => c.json({}, 200, { 'cache-control': 'private, max-age=5' }));
  return a;
}

describe('hub security headers', () => {
  it('puts a CSP fit for the portal and the usual protections on every answer', async () => {
    const a = app({ mediaOrigins: ['http://store.example:9000'] });
    for (const path of ['/', '/api/v1/procedures', '/nowhere']) {
      const res = await a.request(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("media-src 'self' http://store.example:9000");
      expect(csp).toContain("img-src 'self' http://store.example:9000 data:");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      // Plain HTTP: no HSTS (it would lock browsers out of a hub without a certificate).
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('asks browsers to keep to HTTPS only when TLS is on', async () => {
    const res = await app({ tls: true }).request('/');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('never lets API answers be cached, and leaves other caching alone', async () => {
    const a = app();
    expect((await a.request('/api/v1/procedures')).headers.get('cache-control')).toBe('no-store');
    const created = await a.request('/api/v1/procedures', { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect((await a.request('/api/v1/cached')).headers.get('cache-control')).toBe('private, max-age=5');
    expect((await a.request('/')).headers.get('cache-control')).toBeNull();
  });

  it('sends no CORS header to any origin unless one is allowed', async () => {
    const a = app();
    const res = await a.request('/api/v1/procedures', { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await a.request('/api/v1/procedures', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers CORS for allowed origins only', async () => {
    const a = app({ corsOrigins: ['https://portal.example'] });
    const ok = await a.request('/api/v1/procedures', { headers: { origin: 'https://portal.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const preflight = await a.request('/api/v1/procedures', {
      method: 'OPTIONS',
      headers: { origin: 'https://portal.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://portal.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await a.request('/api/v1/procedures', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('vary')).toContain('Origin');
    // The portal page itself is never offered cross-origin.
    const page = await a.request('/', { headers: { origin: 'https://portal.example' } });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
  });
});
