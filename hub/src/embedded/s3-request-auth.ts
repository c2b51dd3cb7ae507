import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The embedded S3 server's one key pair. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why a request is refused: S3's error code and a sentence. */
export interface S3Refusal {
  code: 'AccessDenied' | 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'RequestTimeTooSkewed';
  message: string;
}

/** How far a signed request's time may be from the server's (S3's own bound). */
const SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may live (S3's: 7 days). */
const MAX_EXPIRES_S = 7 * 24 * 3600;

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** RFC 3986 encoding, as SigV4 wants each query name and value. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

/** `20261204T193000Z` as a Date, or undefined. */
function amzDate(s: string | undefined): Date | undefined {
  const m = s ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, se!));
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * Checks an S3 request's AWS Signature Version 4, from its `Authorization` header or from a
 * presigned URL's query (`X-Amz-Signature`), against the one key pair, the way S3 does: the
 * canonical request (method, path as sent, sorted query, the signed headers, the payload's hash as
 * declared), the scope's date, and the request's age (15 minutes) or the URL's expiry. Returns why
 * it is refused, or undefined when it may go on. An unsigned request is refused: nothing in the
 * store may be read or written anonymously. (The body itself is not hashed here: a header-signed
 * request declares its payload's hash, and the signature covers that declaration.)
 */
export function checkS3Signature(
  req: { method: string; url: string; headers: IncomingHttpHeaders },
  credentials: S3Credentials,
  now = new Date(),
): S3Refusal | undefined {
  // The query is everything after the first '?' (a value may hold another, unencoded).
  const q = req.url.indexOf('?');
  const path = (q < 0 ? req.url : req.url.slice(0, q)) || '/';
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const query: [string, string][] = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      try {
        return [decodeURIComponent(k.replace(/\+/g, '%20')), decodeURIComponent(v.replace(/\+/g, '%20'))];
      } catch {
        return [k, v];
      }
    });
  const param = (name: string) => query.find(([k]) => k === name)?.[1];
  const authorization = header(req.headers, 'authorization');
  const presigned = param('X-Amz-Algorithm') !== undefined;
  if (!authorization && !presigned)
    return { code: 'AccessDenied', message: 'Access Denied: the request is not signed' };
  if (authorization && presigned)
    return { code: 'AccessDenied', message: 'Access Denied: a request is signed one way only' };

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let date: string | undefined;
  let payloadHash: string;
  if (authorization) {
    const [algorithm, ...rest] = authorization.trim().split(/\s+/);
    if (algorithm !== ALGORITHM)
      return { code: 'AccessDenied', message: `Access Denied: only ${ALGORITHM} signatures are accepted` };
    const fields = Object.fromEntries(
      rest
        .join('')
        .split(',')
        .map((f) => {
          const i = f.indexOf('=');
          return [f.slice(0, i).trim(), f.slice(i + 1).trim()];
        }),
    );
    credential = fields.Credential;
    signedHeaders = fields.SignedHeaders;
    signature = fields.Signature;
    date = header(req.headers, 'x-amz-date');
    payloadHash = header(req.headers, 'x-amz-content-sha256') ?? sha256Hex('');
  } else {
    if (param('X-Amz-Algorithm') !== ALGORITHM)
      return { code: 'AccessDenied', message: `Access Denied: only ${ALGORITHM} signatures are accepted` };
    credential = param('X-Amz-Credential');
    signedHeaders = param('X-Amz-SignedHeaders');
    signature = param('X-Amz-Signature');
    date = param('X-Amz-Date');
    payloadHash =
      param('X-Amz-Content-Sha256') ?? header(req.headers, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD';
  }
  if (!credential || !signedHeaders || !signature || !date)
    return { code: 'AccessDenied', message: 'Access Denied: the signature is incomplete' };
  const [accessKeyId, day, region, service, terminator] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId)
    return {
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  const at = amzDate(date);
  if (!at || !day || !region || !service || terminator !== 'aws4_request' || !date.startsWith(day))
    return { code: 'AccessDenied', message: 'Access Denied: the signature has no valid date or scope' };
  if (presigned) {
    const expires = Number(param('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_S)
      return { code: 'AccessDenied', message: 'Access Denied: X-Amz-Expires must be 1 to 604800 seconds' };
    if (now.getTime() > at.getTime() + expires * 1000)
      return { code: 'AccessDenied', message: 'Request has expired' };
    if (at.getTime() - now.getTime() > SKEW_MS)
      return { code: 'AccessDenied', message: 'Access Denied: the URL is signed for a time to come' };
  } else if (Math.abs(now.getTime() - at.getTime()) > SKEW_MS)
    return {
      code: 'RequestTimeTooSkewed',
      message: 'The difference between the request time and the current time is too large.',
    };

  const names = signedHeaders.split(';');
  if (!names.includes('host'))
    return { code: 'AccessDenied', message: 'Access Denied: the host header must be signed' };
  const canonicalHeaders = names
    .map((n) => `${n}:${(header(req.headers, n) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalQuery = query
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service),
    'aws4_request',
  );
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return {
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  return undefined;
}
