/**
 * Admin API authentication: the `admin_api_tokens` setting, kept as SHA-256 digests only, checked in
 * constant time against `Authorization: Bearer <token>` or `Tollgate-Admin-Token: <token>`. Kong's open-source
 * Admin API has no authentication; with no tokens configured Tollgate's has none either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Who made a request, as the audit log names them: a token id, or `anonymous`. */
export type Caller = { tokenId: string };

export const ANONYMOUS = 'anonymous';

/** Kong-style body of a refused request. */
export const UNAUTHORIZED_BODY = Object.freeze({ message: 'Unauthorized' });

/** The challenge sent with every 401. */
export const WWW_AUTHENTICATE = 'Bearer realm="tollgate-admin"';

const HASHED_ENTRY = /^sha256:([0-9a-f]{64})$/i;
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The id a token is known by in the audit log: the first 8 hex characters of its SHA-256 (not secret). */
export function tokenIdOf(digest: Buffer): string {
  return digest.subarray(0, 4).toString('hex');
}

/** The token a request presents (Bearer first, then Tollgate-Admin-Token), or null. */
export function presentedToken(req: IncomingMessage): string | null {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const match = BEARER.exec(authorization);
    if (match !== null) return match[1];
  }
  const header = req.headers['tollgate-admin-token'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return null;
}

/**
 * The configured tokens, as digests. Plain entries are hashed here, once, and the text is not kept;
 * `sha256:<hex>` entries are taken as they are.
 */
export class AdminTokens {
  readonly #digests: readonly Buffer[];

  constructor(entries: readonly string[]) {
    this.#digests = entries.map((entry) => {
      const hashed = HASHED_ENTRY.exec(entry);
      return hashed !== null ? Buffer.from(hashed[1], 'hex') : sha256(entry);
    });
  }

  /** Whether requests must carry a token (false when no token is configured). */
  get required(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * The caller a request authenticates as; null when tokens are required and it presents none that
   * matches. Every configured digest is compared, equal length and constant time, so the answer's timing
   * says nothing about which token came close.
   */
  authenticate(req: IncomingMessage): Caller | null {
    // Without configured tokens nothing is verified, so a presented token names no one.
    if (!this.required) return { tokenId: ANONYMOUS };
    const token = presentedToken(req);
    if (token === null) return null;
    const digest = sha256(token);
    let matched = false;
    for (const known of this.#digests) {
      if (timingSafeEqual(known, digest)) matched = true;
    }
    return matched ? { tokenId: tokenIdOf(digest) } : null;
  }
}
