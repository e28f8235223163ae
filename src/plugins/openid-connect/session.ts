/**
 * Encrypted cookies: the session (tokens of a completed login) and the authorization cookie (state, nonce and
 * PKCE verifier of a login under way). AES-256-GCM, so a cookie is both secret and tamper-evident; the key is
 * derived once per configuration (HKDF) from `session_secret` and the cookie's name, so the two cookies'
 * contents cannot be swapped for one another.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.from('tollgate-openid-connect'), Buffer.from(purpose), 32));
}

export function seal(key: Buffer, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The sealed value, or null when the text was not sealed with this key (forged, damaged or old). */
export function open(key: Buffer, text: string): unknown {
  try {
    const raw = Buffer.from(text, 'base64url');
    if (raw.length < 29) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString());
  } catch {
    return null;
  }
}

/** One cookie's value from a request's Cookie headers. */
export function readCookie(headers: readonly string[], name: string): string | undefined {
  for (const header of headers) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

export interface CookieAttributes {
  readonly path: string;
  readonly domain: string | null;
  readonly sameSite: string | null;
  readonly httpOnly: boolean;
  /** null: Secure when the request came over HTTPS. */
  readonly secure: boolean | null;
}

export function setCookie(name: string, value: string, attrs: CookieAttributes, https: boolean, maxAgeS?: number): string {
  const parts = [`${name}=${value}`, `Path=${attrs.path}`];
  if (attrs.domain !== null) parts.push(`Domain=${attrs.domain}`);
  if (maxAgeS !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(maxAgeS))}`);
  if (maxAgeS === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:01 GMT');
  if (attrs.sameSite !== null && attrs.sameSite !== 'Default') parts.push(`SameSite=${attrs.sameSite}`);
  if (attrs.secure ?? https) parts.push('Secure');
  if (attrs.httpOnly) parts.push('HttpOnly');
  return parts.join('; ');
}

/** A login under way, kept in the authorization cookie between the redirect and the callback. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string | null;
  /** The URL that started the flow, where the browser returns after the callback. */
  readonly uri: string;
  readonly redirectUri: string;
  /** Seconds since the epoch after which the callback is refused. */
  readonly exp: number;
}

/** A completed login, kept in the session cookie. */
export interface Session {
  readonly idToken: string | null;
  readonly accessToken: string | null;
  /** Absent in sessions sealed before refresh tokens were kept. */
  readonly refreshToken?: string | null;
  /** When the access token expires (seconds since the epoch), or null when the provider did not say. */
  readonly accessExp: number | null;
  /** When the session started and was last renewed (seconds since the epoch). */
  readonly created: number;
  readonly renewed: number;
}

export function isPendingLogin(v: unknown): v is PendingLogin {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o.state === 'string' && typeof o.nonce === 'string' && typeof o.uri === 'string'
    && typeof o.redirectUri === 'string' && typeof o.exp === 'number';
}

export function isSession(v: unknown): v is Session {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && typeof o.created === 'number' && typeof o.renewed === 'number';
}

export interface SessionLimits {
  readonly rollingS: number;
  readonly absoluteS: number;
  readonly idlingS: number;
}

/** Whether a session is still good at `now`; 0 limits are off. */
export function sessionAlive(s: Session, now: number, limits: SessionLimits): boolean {
  if (limits.absoluteS > 0 && now >= s.created + limits.absoluteS) return false;
  if (limits.rollingS > 0 && now >= s.renewed + limits.rollingS) return false;
  if (limits.idlingS > 0 && now >= s.renewed + limits.idlingS) return false;
  return true;
}

/** Renewing on every request would set a cookie per response; renew once a tenth of the shortest limit passed. */
export function needsRenewal(s: Session, now: number, limits: SessionLimits): boolean {
  const shortest = Math.min(...[limits.rollingS, limits.idlingS].filter((v) => v > 0), Number.POSITIVE_INFINITY);
  if (shortest === Number.POSITIVE_INFINITY) return false;
  return now - s.renewed >= Math.max(1, shortest / 10);
}

/**
 * Where the browser returns after the callback: the path it asked for, never one a browser would read as
 * another host (`//evil.example/`, `/\evil.example/`), which would make the gateway an open redirector.
 */
export function returnPath(pathWithQuery: string): string {
  return `/${pathWithQuery.replace(/^[/\\]+/, '')}`;
}
