import type { MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';

export interface SecurityHeaderOptions {
  /** The hub is served over TLS: browsers are told to keep to HTTPS (Strict-Transport-Security). */
  tls: boolean;
  /**
   * Origins the portal's key frames and videos come from besides the hub itself: the object store
   * that signs their URLs (S3_PUBLIC_ENDPOINT or S3_ENDPOINT), often another host or port.
   */
  mediaOrigins: string[];
  /** Browser origins allowed to call the API from elsewhere (GIC_HTTP_CORS_ORIGINS); none: no CORS. */
  corsOrigins: string[];
}

/**
 * The headers on every hub answer. The portal is one bundled script and one style sheet served by the
 * hub (no inline script, no CDN, no web font), so scripts, styles and connections stay on the hub's
 * own origin; images and media may also come from the object store; nothing may frame the hub.
 * API answers are never cached (they carry patient data). Cross-origin callers get CORS headers only
 * when their origin is in the allow-list.
 */
export function securityHeaders(options: SecurityHeaderOptions): MiddlewareHandler {
  const media = ["'self'", ...options.mediaOrigins];
  const headers = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: [...media, 'data:'],
      mediaSrc: media,
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    xContentTypeOptions: 'nosniff',
    strictTransportSecurity: options.tls ? 'max-age=31536000; includeSubDomains' : false,
  });
  const noStore: MiddlewareHandler = async (c, next) => {
    await next();
    if (c.req.path.startsWith('/api/') && !c.res.headers.has('cache-control'))
      c.res.headers.set('cache-control', 'no-store');
  };
  if (options.corsOrigins.length === 0) return every(headers, noStore);
  const allowed = new Set(options.corsOrigins);
  const apiCors = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowHeaders: ['authorization', 'content-type'],
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: 600,
  });
  const corsOnApi: MiddlewareHandler = (c, next) =>
    c.req.path.startsWith('/api/') ? apiCors(c, next) : next();
  return every(headers, noStore, corsOnApi);
}
