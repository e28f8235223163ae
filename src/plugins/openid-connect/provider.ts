/**
 * What the gateway knows of an OpenID provider: its discovery document and JWKS. Both are fetched once and
 * kept in the node-wide cache (every worker reads the same copy) and in this worker's memory (no cache call per
 * request). A token signed with a key id the JWKS lacks causes one refresh, at most once per
 * `rediscovery_lifetime` across the node (a node-wide counter), so a stream of made-up key ids cannot turn the
 * gateway into a load generator against the provider.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Kong } from '../../pdk/index.ts';
import { call, ProviderUnavailable, type Transport } from './http.ts';

export { ProviderUnavailable } from './http.ts';
export type { Transport } from './http.ts';

export interface Discovery {
  readonly issuer: string;
  readonly jwks_uri?: string;
  readonly authorization_endpoint?: string;
  readonly token_endpoint?: string;
  readonly introspection_endpoint?: string;
  readonly userinfo_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly code_challenge_methods_supported?: readonly string[];
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly introspection_endpoint_auth_methods_supported?: readonly string[];
}

/** A provider's keys, ready for jose. */
export interface ProviderKeys {
  readonly discovery: Discovery;
  readonly jwks: JSONWebKeySet;
  readonly getKey: JWTVerifyGetKey;
}


const memo = new Map<string, ProviderKeys>();
const pending = new Map<string, Promise<ProviderKeys>>();

export function discoveryUrl(issuer: string): string {
  if (issuer.includes('/.well-known/')) return issuer;
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchJson(url: string, t: Transport): Promise<unknown> {
  const res = await call(url, { headers: { accept: 'application/json' } }, t);
  if (res.status !== 200) throw new ProviderUnavailable(`${url}: status ${res.status}`);
  try {
    return JSON.parse(res.text);
  } catch {
    throw new ProviderUnavailable(`${url}: not JSON`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function download(issuer: string, t: Transport): Promise<{ discovery: Discovery; jwks: JSONWebKeySet }> {
  const discovery = await fetchJson(discoveryUrl(issuer), t);
  if (!isRecord(discovery) || typeof discovery.issuer !== 'string') throw new ProviderUnavailable(`${issuer}: the discovery document has no issuer`);
  let jwks: JSONWebKeySet = { keys: [] };
  if (typeof discovery.jwks_uri === 'string') {
    const keys = await fetchJson(discovery.jwks_uri, t);
    if (!isRecord(keys) || !Array.isArray(keys.keys)) throw new ProviderUnavailable(`${discovery.jwks_uri}: not a JWKS`);
    jwks = keys as unknown as JSONWebKeySet;
  }
  return { discovery: discovery as unknown as Discovery, jwks };
}

function build(discovery: Discovery, jwks: JSONWebKeySet): ProviderKeys {
  return { discovery, jwks, getKey: createLocalJWKSet(jwks) };
}

const cacheKey = (id: string) => `oidc:provider:${id}`;

async function fromNodeCache(kong: Kong, id: string): Promise<ProviderKeys | undefined> {
  try {
    const text = await kong.cache.get(cacheKey(id));
    if (text === undefined) return undefined;
    const parsed = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString()) as { discovery: Discovery; jwks: JSONWebKeySet };
    return build(parsed.discovery, parsed.jwks);
  } catch (err) {
    kong.log.warn('openid-connect: the node cache is unavailable: ', err);
    return undefined;
  }
}

async function downloadAndShare(kong: Kong, issuer: string, id: string, t: Transport): Promise<ProviderKeys> {
  const { discovery, jwks } = await download(issuer, t);
  // No expiry: the document changes only with the provider's keys, and an unknown kid refreshes it.
  await kong.cache.set(cacheKey(id), JSON.stringify({ discovery, jwks }), 0).catch((err: unknown) => {
    kong.log.warn('openid-connect: the node cache is unavailable: ', err);
  });
  return build(discovery, jwks);
}

function once(key: string, run: () => Promise<ProviderKeys>): Promise<ProviderKeys> {
  let running = pending.get(key);
  if (running === undefined) {
    running = run().finally(() => pending.delete(key));
    pending.set(key, running);
  }
  return running;
}

/**
 * Which copy of an issuer's keys a configuration may use: keys downloaded without checking the provider's
 * certificate (`ssl_verify` off, Kong's default) never serve a configuration that asks for the check.
 */
const copyId = (issuer: string, t: Transport) => (t.sslVerify && issuer.startsWith('https:') ? `${issuer}#verified` : issuer);

/** The provider's discovery document and keys: this worker's copy, else the node's, else downloaded. */
export function providerKeys(kong: Kong, issuer: string, t: Transport): ProviderKeys | Promise<ProviderKeys> {
  const id = copyId(issuer, t);
  const known = memo.get(id);
  if (known !== undefined) return known;
  return once(id, async () => {
    const keys = (await fromNodeCache(kong, id)) ?? (await downloadAndShare(kong, issuer, id, t));
    memo.set(id, keys);
    return keys;
  });
}

/**
 * After a token named a key id the keys lack: new keys if a refresh was allowed (or another worker already
 * refreshed the node's copy), else null. `stale` is the copy that lacked the key.
 */
export async function refreshKeys(kong: Kong, issuer: string, stale: ProviderKeys, t: Transport, lifetimeS: number): Promise<ProviderKeys | null> {
  const id = copyId(issuer, t);
  return once(`${id}\u0000refresh`, async () => {
    const shared = await fromNodeCache(kong, id);
    if (shared !== undefined && JSON.stringify(shared.jwks) !== JSON.stringify(stale.jwks)) {
      memo.set(id, shared);
      return shared;
    }
    const turn = await kong.counters.incr(`oidc:rediscovery:${id}`, 1, Math.max(1, lifetimeS) * 1000);
    if (turn !== 1) return (await awaitOtherRefresh(kong, id, stale, t.timeoutMs)) ?? stale;
    const marker = refreshingKey(id);
    await kong.cache.set(marker, '1', t.timeoutMs).catch(() => undefined);
    try {
      const fresh = await downloadAndShare(kong, issuer, id, t);
      memo.set(id, fresh);
      return fresh;
    } finally {
      await kong.cache.delete(marker).catch(() => undefined);
    }
  }).then((keys) => (keys === stale ? null : keys));
}

const refreshingKey = (id: string) => `oidc:refreshing:${id}`;

/**
 * Another worker won the refresh: while its download is under way (its marker is in the node cache), wait for
 * the new keys instead of refusing a token they may sign. With no refresh under way, answer at once, so
 * made-up key ids cost nothing.
 */
async function awaitOtherRefresh(kong: Kong, id: string, stale: ProviderKeys, timeoutMs: number): Promise<ProviderKeys | null> {
  const deadline = Date.now() + timeoutMs;
  const staleKeys = JSON.stringify(stale.jwks);
  for (;;) {
    const shared = await fromNodeCache(kong, id);
    if (shared !== undefined && JSON.stringify(shared.jwks) !== staleKeys) {
      memo.set(id, shared);
      return shared;
    }
    const refreshing = await kong.cache.get(refreshingKey(id)).catch(() => undefined);
    if (refreshing === undefined || Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Forgets this worker's copies (tests). */
export function forgetProviders(): void {
  memo.clear();
}
