/**
 * Kong's paging and filtering arguments: `size` (1..1000, default 100), the opaque `offset`, `tags`
 * filters, and the `next` link of a page.
 */
import { invalidOffset, invalidOptions, invalidSize } from './errors.ts';

export { AdminError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** `size` from the query string; throws Kong's code 9 errors. */
export function parseSize(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (Number.isNaN(n)) throw invalidSize('size must be a number');
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw invalidSize(`size must be an integer between 1 and ${MAX_PAGE_SIZE}`);
  }
  return n;
}

/** The offset token is base64 of a JSON array holding the last id of the previous page, like Kong's on PostgreSQL. */
export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId])).toString('base64');
}

/** The last id a token stands for; throws Kong's code 7 errors. */
export function decodeOffset(raw: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) throw invalidOffset(raw, 'bad base64 encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw invalidOffset(raw, 'bad json encoding');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') throw invalidOffset(raw, 'bad json encoding');
  return parsed[0];
}

export type TagFilter = { mode: 'and' | 'or'; tags: string[] } | null;

// Printable ASCII except ',' and '/', plus anything non-ASCII (Kong allows the UTF-8 bytes 0x80-0xF4).
const TAG_CHARS = '[\\x20-\\x2B\\x2D\\x2E\\x30-\\x7E\\u0080-\\u{10FFFF}]';
const TAGS_AND = new RegExp(`^(${TAG_CHARS}+(?:,|$))+$`, 'u');
const TAGS_OR = new RegExp(`^(${TAG_CHARS}+(?:/|$))+$`, 'u');
const MAX_FILTER_TAGS = 5;

/**
 * The `tags` query argument as sent: URLSearchParams would turn bytes that are not UTF-8 into U+FFFD (a
 * valid tag), where Kong refuses them, so the first raw `tags` argument is decoded strictly here.
 */
export function rawTagsArgument(url: URL): string | null {
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (name !== 'tags') continue;
    const value = eq === -1 ? '' : pair.slice(eq + 1).replace(/\+/g, ' ');
    try {
      return decodeURIComponent(value);
    } catch {
      throw invalidOptions({ tags: 'invalid filter syntax' });
    }
  }
  return null;
}

/** `tags=a,b` (all of them) or `tags=a/b` (any of them); throws Kong's code 11 errors. */
export function parseTags(raw: string | null): TagFilter {
  if (raw === null) return null;
  if (raw === '') throw invalidOptions({ tags: 'cannot be null' });
  let filter: TagFilter;
  if (TAGS_AND.test(raw)) filter = { mode: 'and', tags: raw.split(',').filter((t) => t !== '') };
  else if (TAGS_OR.test(raw)) filter = { mode: 'or', tags: raw.split('/').filter((t) => t !== '') };
  else throw invalidOptions({ tags: 'invalid filter syntax' });
  if (filter.tags.length > MAX_FILTER_TAGS) throw invalidOptions({ tags: `cannot query more than ${MAX_FILTER_TAGS} tags` });
  return filter;
}

/** Whether an entity's `tags` pass a filter. */
export function matchesTags(entityTags: unknown, filter: TagFilter): boolean {
  if (filter === null) return true;
  if (!Array.isArray(entityTags)) return false;
  return filter.mode === 'and' ? filter.tags.every((t) => entityTags.includes(t)) : filter.tags.some((t) => entityTags.includes(t));
}

/** Kong's URI escaping of an offset token in `next` links (`ngx.escape_uri`). */
export function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A list response: `offset` only when another page exists, `next` always (null on the last page). */
export interface ListBody<T> {
  data: T[];
  next: string | null;
  offset?: string;
}

/** Builds the response body of a page; `next` is `basePath?offset=...` followed by `query`. */
export function listBody<T>(data: T[], offset: string | null, basePath: string, query = ''): ListBody<T> {
  if (offset === null) return { data, next: null };
  return { data, offset, next: `${basePath}?offset=${escapeUri(offset)}${query}` };
}

/** One page of a list sorted by id, starting after the id an offset token names. */
export function pageOf<T extends { id: string }>(items: readonly T[], size: number, offset: string | null | undefined): { data: T[]; offset: string | null } {
  let startIndex = 0;
  if (offset !== null && offset !== undefined) {
    const after = decodeOffset(offset);
    // Binary search: items are sorted by id.
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid].id <= after) lo = mid + 1;
      else hi = mid;
    }
    startIndex = lo;
  }
  const data = items.slice(startIndex, startIndex + size);
  // Like Kong on PostgreSQL: an offset only when at least one more row exists.
  if (startIndex + size >= items.length || data.length === 0) return { data, offset: null };
  return { data, offset: encodeOffset(data[data.length - 1].id) };
}
