/**
 * Tokens from the configuration, for nodes without a database. Kong's DB-less nodes accept the `oauth2_tokens`
 * a declarative file lists (what `config db_export` writes), finding them in their local copy of the
 * configuration; here they are indexed by access token once per snapshot. A node with a database reads tokens
 * from it (see `tokens.ts`), where the flows write them.
 */
import { nodeDatabaseKind, type EntityRecord, type PluginConfigData } from '../../pdk/index.ts';
import type { StoredToken } from './tokens.ts';

const indexes = new WeakMap<readonly EntityRecord[], ReadonlyMap<string, StoredToken>>();

/** The configuration's tokens by access token on a node without a database; null where the database has them. */
export function configuredTokens(data: PluginConfigData): ReadonlyMap<string, StoredToken> | null {
  if (nodeDatabaseKind() !== 'off') return null;
  const rows = data.entities('oauth2_tokens');
  let index = indexes.get(rows);
  if (index === undefined) {
    const built = new Map<string, StoredToken>();
    for (const row of rows) {
      if (typeof row.access_token === 'string') built.set(row.access_token, row as unknown as StoredToken);
    }
    index = built;
    indexes.set(rows, index);
  }
  return index;
}
