/**
 * oauth2's configuration as the phases read it, computed once per plugin entity and snapshot: the client
 * applications indexed by `client_id` and by id (shared by every oauth2 plugin of one snapshot), the scopes as
 * a set and the anonymous consumer resolved.
 */
import type { PluginConfigData, PluginConsumer, PluginEntityScope } from '../../pdk/index.ts';
import { anonymousConf, type AnonymousConf } from '../shared/anonymous.ts';
import { configuredTokens } from './configured-tokens.ts';
import type { OAuth2Config } from './schema.ts';
import type { StoredToken } from './tokens.ts';

/** A client application as the flows need it. */
export interface OAuth2Client {
  readonly id: string;
  readonly client_id: string;
  readonly client_secret: string | null;
  readonly hash_secret: boolean;
  readonly redirect_uris: readonly string[] | null;
  readonly client_type: 'confidential' | 'public';
  readonly consumer: PluginConsumer;
  /** What `kong.client.getCredential()` shows later plugins: no secret. */
  readonly credential: { readonly id: string; readonly client_id: string; readonly name: string; readonly consumer: { readonly id: string } };
}

export interface OAuth2Clients {
  readonly byClientId: ReadonlyMap<string, OAuth2Client>;
  readonly byId: ReadonlyMap<string, OAuth2Client>;
}

export interface OAuth2Conf extends AnonymousConf {
  readonly config: OAuth2Config;
  /** This plugin entity's id (codes remember the plugin that issued them). */
  readonly pluginId: string | null;
  readonly scopes: ReadonlySet<string> | null;
  readonly realm: string | null;
  readonly authHeader: string;
  readonly clients: OAuth2Clients;
  /** Tokens by access token from the configuration on a node without a database; null: read from the database. */
  readonly tokens: ReadonlyMap<string, StoredToken> | null;
}

const indexes = new WeakMap<object, OAuth2Clients>();

function clientIndex(data: PluginConfigData): OAuth2Clients {
  const byClientIdRaw = data.credentialsBy('oauth2_credentials', 'client_id');
  let index = indexes.get(byClientIdRaw);
  if (index !== undefined) return index;
  const byClientId = new Map<string, OAuth2Client>();
  const byId = new Map<string, OAuth2Client>();
  for (const [clientId, match] of byClientIdRaw) {
    const row = match.credential as unknown as Readonly<Record<string, unknown>>;
    const client: OAuth2Client = {
      id: match.credential.id,
      client_id: clientId,
      client_secret: typeof row.client_secret === 'string' ? row.client_secret : null,
      hash_secret: row.hash_secret === true,
      redirect_uris: Array.isArray(row.redirect_uris) ? (row.redirect_uris as string[]) : null,
      client_type: row.client_type === 'public' ? 'public' : 'confidential',
      consumer: match.consumer,
      credential: Object.freeze({ id: match.credential.id, client_id: clientId, name: String(row.name ?? ''), consumer: { id: match.consumer.id } }),
    };
    byClientId.set(clientId, client);
    byId.set(client.id, client);
  }
  index = { byClientId, byId };
  indexes.set(byClientIdRaw, index);
  return index;
}

export function prepareConf(config: OAuth2Config, data: PluginConfigData, entity?: PluginEntityScope): OAuth2Conf {
  return {
    config,
    pluginId: entity?.id ?? null,
    scopes: config.scopes === null || config.scopes === undefined ? null : new Set(config.scopes),
    realm: config.realm ?? null,
    authHeader: (config.auth_header_name ?? 'authorization').toLowerCase(),
    ...anonymousConf(config.anonymous, data),
    clients: clientIndex(data),
    tokens: configuredTokens(data),
  };
}
