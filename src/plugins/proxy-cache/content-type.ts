/**
 * Which response Content-Types proxy-cache stores (Kong's rule): type and subtype must equal the configured
 * ones (or the configured one is `*`), and the parameters must be exactly the configured ones, so
 * `application/json` does not match `application/json; charset=utf-8`. Configured types are parsed once.
 */

export interface MimeType {
  readonly type: string;
  readonly subtype: string;
  readonly params: ReadonlyMap<string, string>;
}

/** Parses `type/subtype; name=value`; null when there is no `type/subtype`. */
export function parseMimeType(text: string): MimeType | null {
  const parts = text.split(';');
  const m = /^\s*([^/\s]+)\/([^/\s]+)\s*$/.exec(parts[0]);
  if (m === null) return null;
  const params = new Map<string, string>();
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    if (eq === -1) continue;
    const name = parts[i].slice(0, eq).trim().toLowerCase();
    let value = parts[i].slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name !== '') params.set(name, value);
  }
  return { type: m[1].toLowerCase(), subtype: m[2].toLowerCase(), params };
}

/** A matcher over the configured content types (unparseable entries match nothing). */
export function contentTypeMatcher(configured: readonly string[]): (contentType: string | undefined) => boolean {
  const expected = configured.map(parseMimeType).filter((t): t is MimeType => t !== null);
  return (contentType) => {
    if (contentType === undefined || contentType === '') return false;
    const actual = parseMimeType(contentType);
    if (actual === null) return false;
    for (const e of expected) {
      if (e.type !== '*' && e.type !== actual.type) continue;
      if (e.subtype !== '*' && e.subtype !== actual.subtype) continue;
      if (e.params.size !== actual.params.size) continue;
      let same = true;
      for (const [k, v] of e.params) if (actual.params.get(k) !== v) same = false;
      if (same) return true;
    }
    return false;
  };
}
