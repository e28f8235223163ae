/** Kong's paging: `size` (1..1000, default 100), opaque `offset`, `next` path. */

export class AdminError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body.message ?? status));
    this.status = status;
    this.body = body;
  }
}

export function parseSize(raw: string | null): number {
  if (raw === null) return 100;
  const n = Number(raw);
  if (raw.trim() === '' || Number.isNaN(n)) {
    throw new AdminError(400, { code: 9, name: 'invalid size', message: 'size must be a number' });
  }
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new AdminError(400, { code: 9, name: 'invalid size', message: 'size must be an integer between 1 and 1000' });
  }
  return n;
}

/** The offset token is base64 of a JSON array holding the last id of the previous page, like Kong's on PostgreSQL. */
export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId])).toString('base64');
}

export function decodeOffset(raw: string): string {
  const invalid = (why: string) =>
    new AdminError(400, { code: 7, name: 'invalid offset', message: `'${raw}' is not a valid offset: ${why}` });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw) || raw.length % 4 === 1) throw invalid('bad base64 encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw invalid('bad json encoding');
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'string') throw invalid('bad json encoding');
  return parsed[0];
}

export type TagFilter = { mode: 'and' | 'or'; tags: string[] } | null;

/** `tags=a,b` (all of them) or `tags=a/b` (any of them). */
export function parseTags(raw: string | null): TagFilter {
  if (raw === null) return null;
  const invalidOption = (why: string) =>
    new AdminError(400, {
      code: 11,
      name: 'invalid options',
      message: `invalid option (tags: ${why})`,
      options: { tags: why },
    });
  if (raw === '') throw invalidOption('cannot be null');
  const hasComma = raw.includes(',');
  const hasSlash = raw.includes('/');
  if (hasComma && hasSlash) throw invalidOption('invalid filter syntax');
  const tags = raw.split(hasSlash ? '/' : ',');
  for (const t of tags) {
    // eslint-disable-next-line no-control-regex
    if (t === '' || /[\x00-\x20\x7f]/.test(t)) throw invalidOption('invalid filter syntax');
  }
  return { mode: hasSlash ? 'or' : 'and', tags };
}

export function matchesTags(entityTags: unknown, filter: TagFilter): boolean {
  if (filter === null) return true;
  if (!Array.isArray(entityTags)) return false;
  return filter.mode === 'and' ? filter.tags.every((t) => entityTags.includes(t)) : filter.tags.some((t) => entityTags.includes(t));
}

/** Builds one page from a list sorted by id. */
export function page<T extends { id: string }>(
  items: readonly T[],
  options: { size: number; offset: string | null; basePath: string; query: string },
): { data: T[]; next: string | null; offset?: string } {
  let startIndex = 0;
  if (options.offset !== null) {
    const after = decodeOffset(options.offset);
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
  const data = items.slice(startIndex, startIndex + options.size);
  if (startIndex + options.size >= items.length || data.length === 0) return { data, next: null };
  const token = encodeOffset(data[data.length - 1].id);
  return {
    data,
    next: `${options.basePath}?offset=${encodeURIComponent(token)}${options.query}`,
    offset: token,
  };
}
