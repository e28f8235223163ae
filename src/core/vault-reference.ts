/**
 * Vault references, Kong's syntax: `{vault://<vault>/<resource>[/<key>][?<query>][#<version>]}`. `<vault>` is a
 * backend name (`env`) or the `prefix` of a vault entity; `<key>` picks one field of a JSON secret. A leaf
 * helper: node settings resolve references at start, schema validation accepts them in `referenceable`
 * fields, and the proxy's vault resolver reads them.
 */

/** A parsed reference. */
export interface VaultReference {
  /** The reference as written (error messages name it; it never contains the secret). */
  readonly reference: string;
  /** Backend name or vault entity prefix (the URL host). */
  readonly vault: string;
  /** The secret's name: everything after the host, minus the key. */
  readonly resource: string;
  /** The JSON field to read from the secret, or null for the whole secret. */
  readonly key: string | null;
  /** Query options that override the vault's config for this reference (`?prefix=X_`). */
  readonly config: Readonly<Record<string, string>>;
  /** `#2` reads the previous version (env: `<NAME>_PREVIOUS`); null for the current one. */
  readonly version: number | null;
}

/** Kong's cheap test: starts with `{vault://` and ends with `}`. */
export function isReference(value: unknown): value is string {
  return typeof value === 'string' && value.length > 10 && value.startsWith('{vault://') && value.endsWith('}');
}

/** Parses a reference, or returns an error message that names it. */
export function parseReference(value: string): VaultReference | string {
  if (!isReference(value)) return `not a reference [${value}]`;
  const body = value.slice(1, -1);
  let url: URL;
  try {
    url = new URL(body);
  } catch {
    return `reference is not url [${value}]`;
  }
  // URL lowercases hosts: read the host back from the text so that prefixes keep their spelling.
  const afterScheme = body.slice('vault://'.length);
  const hostEnd = afterScheme.search(/[/?#]/);
  const vault = hostEnd < 0 ? afterScheme : afterScheme.slice(0, hostEnd);
  if (vault === '') return `reference url is missing host [${value}]`;
  const path = url.pathname;
  if (path === '' || path === '/') return `reference url has empty path [${value}]`;
  let version: number | null = null;
  if (url.hash !== '') {
    const text = url.hash.slice(1);
    if (!/^\d+$/.test(text)) return `reference url has invalid version [${value}]`;
    version = Number(text);
  }
  const resourcePath = path.slice(1);
  const isDirectory = resourcePath.endsWith('/');
  const parts = resourcePath.split('/').filter((p) => p !== '');
  if (parts.length === 0) return `reference url has invalid path [${value}]`;
  let resource: string;
  let key: string | null = null;
  try {
    if (parts.length === 1 || isDirectory) {
      resource = parts.map(decodeURIComponent).join('/');
    } else {
      resource = parts.slice(0, -1).map(decodeURIComponent).join('/');
      key = decodeURIComponent(parts[parts.length - 1]);
    }
  } catch {
    return `reference url has invalid path [${value}]`;
  }
  const config: Record<string, string> = {};
  for (const [name, v] of url.searchParams) config[name] = v;
  return { reference: value, vault, resource, key, config, version };
}
