/**
 * jwt: authenticates a request by a signed JSON Web Token, as Kong's plugin does: the token from the query
 * string, cookies or a `Bearer` header; the credential named by its key claim (`iss`); the credential's
 * algorithm and secret or public key; then the registered claims. Same 401 bodies (claim failures have no
 * `message`), WWW-Authenticate challenges, anonymous consumer and upstream consumer headers.
 *
 * Signatures are verified with jose; a verified token is cached (see cache.ts), so a client repeating its token
 * pays only the claim checks.
 */
import type { Kong, PluginConfigData, PluginHandler } from '../../pdk/index.ts';
import { anonymousConf, authenticatedByAnother, useAnonymous, type AnonymousConf } from '../shared/anonymous.ts';
import { setConsumerHeaders } from '../shared/consumer-headers.ts';
import { VerifiedTokenCache } from './cache.ts';
import { credentialIndex, verifySignature, type JwtEntry } from './keys.ts';
import type { JwtConfig } from './schema.ts';
import { findTokens } from './sources.ts';
import { checkClaims, checkMaximumExpiration, decodeToken, keyClaim, type DecodedToken } from './token.ts';

/** The configuration as the phases read it, computed once per plugin entity and snapshot. */
export interface JwtConf extends AnonymousConf {
  readonly uriParamNames: readonly string[];
  readonly cookieNames: readonly string[];
  readonly headerNames: readonly string[];
  readonly keyClaimName: string;
  readonly secretIsBase64: boolean;
  readonly claimsToVerify: readonly ('exp' | 'nbf')[];
  readonly maximumExpiration: number;
  readonly runOnPreflight: boolean;
  /** WWW-Authenticate when no token was sent, and when a token was refused. */
  readonly challenge: Readonly<Record<string, string>>;
  readonly challengeInvalid: Readonly<Record<string, string>>;
  readonly credentials: ReadonlyMap<string, JwtEntry>;
  readonly verified: VerifiedTokenCache<Verified>;
}

/** A token whose credential and signature check out. */
interface Verified {
  readonly entry: JwtEntry;
  readonly claims: Readonly<Record<string, unknown>>;
}

/** A refusal: Kong's 401 body (`{message}`, or the claim errors) and its headers. */
interface Refusal {
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

interface Accepted {
  readonly entry: JwtEntry;
  readonly token: string;
}

type Outcome = Accepted | Refusal;

function prepare(config: JwtConfig, data: PluginConfigData): JwtConf {
  const realm = config.realm ?? null;
  const challenge = realm === null ? 'Bearer' : `Bearer realm="${realm}"`;
  return {
    uriParamNames: config.uri_param_names ?? [],
    cookieNames: config.cookie_names ?? [],
    headerNames: config.header_names ?? [],
    keyClaimName: config.key_claim_name ?? 'iss',
    secretIsBase64: config.secret_is_base64,
    claimsToVerify: (config.claims_to_verify ?? []) as readonly ('exp' | 'nbf')[],
    maximumExpiration: config.maximum_expiration ?? 0,
    runOnPreflight: config.run_on_preflight,
    challenge: { 'WWW-Authenticate': challenge },
    challengeInvalid: { 'WWW-Authenticate': realm === null ? 'Bearer error="invalid_token"' : `${challenge}, error="invalid_token"` },
    ...anonymousConf(config.anonymous, data),
    credentials: credentialIndex(data),
    verified: new VerifiedTokenCache<Verified>(),
  };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function refuse(conf: JwtConf, message: string): Refusal {
  return { body: { message }, headers: conf.challengeInvalid };
}

/** The claim checks every request runs, cached token or not. */
function checkVerified(conf: JwtConf, verified: Verified, token: string, now: number): Outcome {
  const errors = checkClaims(verified.claims, conf.claimsToVerify, now) ?? checkMaximumExpiration(verified.claims, conf.maximumExpiration, now);
  if (errors !== null) return { body: errors, headers: conf.challengeInvalid };
  return { entry: verified.entry, token };
}

/** After the parse and the credential lookup: the signature (jose, asynchronous), then the claims. */
async function verifyThenCheck(conf: JwtConf, token: string, decoded: DecodedToken, entry: JwtEntry): Promise<Outcome> {
  const verifier = entry.verifier(conf.secretIsBase64);
  if (verifier === null) return refuse(conf, 'Invalid key/secret');
  if (!(await verifySignature(decoded, token, verifier))) return refuse(conf, 'Invalid signature');
  const verified: Verified = { entry, claims: decoded.claims };
  const now = nowSeconds();
  conf.verified.set(token, verified, decoded.claims.exp, now);
  return checkVerified(conf, verified, token, now);
}

/** Kong's `do_authentication`: synchronous unless a signature has to be verified. */
function authenticate(kong: Kong, conf: JwtConf): Outcome | Promise<Outcome> {
  const tokens = findTokens(kong, conf.uriParamNames, conf.cookieNames, conf.headerNames);
  if (tokens.size === 0) return { body: { message: 'Unauthorized' }, headers: conf.challenge };
  if (tokens.size > 1) return refuse(conf, 'Multiple tokens provided');
  const token = tokens.values().next().value;
  if (typeof token !== 'string') return refuse(conf, 'Unrecognizable token');

  const now = nowSeconds();
  const cached = conf.verified.get(token, now);
  if (cached !== undefined) return checkVerified(conf, cached, token, now);

  const decoded = decodeToken(token);
  if (typeof decoded === 'string') return refuse(conf, `Bad token; ${decoded}`);
  const name = conf.keyClaimName;
  const key = keyClaim(decoded, name);
  if (key === undefined) return refuse(conf, `No mandatory '${name}' in claims`);
  if (key === '') return refuse(conf, `Invalid '${name}' in claims`);
  const entry = typeof key === 'string' ? conf.credentials.get(key) : undefined;
  if (entry === undefined) return refuse(conf, `No credentials found for given '${name}'`);
  if (decoded.alg !== entry.algorithm) return refuse(conf, 'Invalid algorithm');
  return verifyThenCheck(conf, token, decoded, entry);
}

function decide(kong: Kong, conf: JwtConf, outcome: Outcome): void {
  if ('entry' in outcome) {
    const credential = outcome.entry.credential;
    kong.client.authenticate(outcome.entry.consumer, credential);
    // Kong identifies a jwt credential by its key (the `iss`), not its id.
    setConsumerHeaders(kong, outcome.entry.consumer, credential.key, false);
    kong.ctx.shared.authenticated_jwt_token = outcome.token;
    return;
  }
  if (conf.anonymous === null) {
    // Without `anonymous` every configured auth plugin must succeed ("logical AND").
    kong.response.exit(401, outcome.body, outcome.headers);
    return;
  }
  if (useAnonymous(kong, conf)) delete kong.ctx.shared.authenticated_jwt_token;
}

function access(kong: Kong, conf: JwtConf): void | Promise<void> {
  if (!conf.runOnPreflight && kong.request.getMethod() === 'OPTIONS') return;
  if (authenticatedByAnother(kong, conf)) return;
  const outcome = authenticate(kong, conf);
  if (outcome instanceof Promise) return outcome.then((result) => decide(kong, conf, result));
  decide(kong, conf, outcome);
}

export const jwtHandler: PluginHandler<JwtConf, JwtConfig> = {
  name: 'jwt',
  priority: 1450,
  version: '3.10.0',
  prepare,
  access,
};
