/**
 * Cache-Control as proxy-cache reads it (Kong's rules): directives by lower-cased name, numeric values as
 * numbers, others as text, bare ones as `true`; a response's TTL from `s-maxage`, else `max-age`, else
 * `Expires`, never below 0.
 */

export type Directives = ReadonlyMap<string, number | string | true>;

const NONE: Directives = new Map();

/** Parses a Cache-Control header (several values are joined by `, ` first). */
export function parseDirectives(header: string | readonly string[] | undefined): Directives {
  if (header === undefined) return NONE;
  const text = typeof header === 'string' ? header : header.join(', ');
  if (text === '') return NONE;
  const out = new Map<string, number | string | true>();
  for (const item of text.split(',')) {
    const m = /^\s*([^=]+)(?:=(.+))?/.exec(item);
    if (m === null) continue;
    const name = m[1].toLowerCase();
    const raw = m[2];
    if (raw === undefined) out.set(name, true);
    else {
      const n = Number(raw);
      out.set(name, raw.trim() !== '' && Number.isFinite(n) ? n : raw);
    }
  }
  return out;
}

/** A directive's numeric value, or null when absent or not a number. */
export function numeric(cc: Directives, name: string): number | null {
  const v = cc.get(name);
  return typeof v === 'number' ? v : null;
}

/** The seconds a response may be cached for (Kong's `calculate_resource_ttl`); `expires` is the Expires header. */
export function resourceTtl(cc: Directives, expires: string | undefined, nowSeconds: number): number {
  let maxAge = numeric(cc, 's-maxage') ?? numeric(cc, 'max-age');
  if (maxAge === null && cc.has('s-maxage') === false && cc.has('max-age') === false && expires !== undefined) {
    const at = Date.parse(expires);
    if (!Number.isNaN(at)) maxAge = Math.floor(at / 1000) - nowSeconds;
  }
  return maxAge === null ? 0 : Math.max(maxAge, 0);
}
