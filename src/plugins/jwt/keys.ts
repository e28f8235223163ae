/**
 * The verification key of each jwt credential, compiled at most once per configuration snapshot (and per
 * `secret_is_base64`, which changes the HMAC key bytes): a WebCrypto `CryptoKey` that jose verifies with, or,
 * for Ed448 (which jose does not verify), a Node.js `KeyObject`. Keys are compiled on first use, so a
 * configuration with many credentials does not import them all before it is served.
 */
import { createPublicKey, createSecretKey, verify as nodeVerify, type KeyObject, type webcrypto } from 'node:crypto';
import { compactVerify } from 'jose';
import type { CredentialMatch, PluginConfigData, PluginConsumer } from '../../pdk/index.ts';
import type { JwtAlgorithm } from './daos.ts';
import { decodeBase64Url, type DecodedToken } from './token.ts';

/**
 * How one credential verifies a signature:
 * - `jose`: a CryptoKey for the credential's algorithm;
 * - `node`: an Ed448 public key, verified with Node.js;
 * - `never`: a key that cannot verify this algorithm (an RSA key for ES256, an empty secret): every signature
 *   is invalid, as OpenSSL answers Kong;
 * - `broken`: the stored public key does not parse (possible for ES*, which Kong does not validate): Kong fails
 *   with a 500, and so does Tollgate.
 */
export type Verifier =
  | { readonly kind: 'jose'; readonly key: CryptoKey }
  | { readonly kind: 'node'; readonly key: KeyObject }
  | { readonly kind: 'never' }
  | { readonly kind: 'broken' };

/** A credential as the plugin uses it. */
export interface JwtEntry {
  /** What `kong.client.getCredential()` shows later plugins: no secret, no key material. */
  readonly credential: { readonly id: string; readonly key: string; readonly algorithm: JwtAlgorithm; readonly consumer: { readonly id: string } };
  readonly consumer: PluginConsumer;
  readonly algorithm: JwtAlgorithm;
  /** The verifier, or null when the credential has no secret/key for its algorithm ("Invalid key/secret"). */
  verifier(secretIsBase64: boolean): Verifier | null;
}

type CryptoKey = webcrypto.CryptoKey;
type ImportParams = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;

const HASHES: Readonly<Record<string, string>> = { '256': 'SHA-256', '384': 'SHA-384', '512': 'SHA-512' };
const CURVES: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** WebCrypto import parameters of a public key for `algorithm`; null for EdDSA, decided by the key's type. */
function publicKeyParams(algorithm: JwtAlgorithm): ImportParams | null {
  const family = algorithm.slice(0, 2);
  const hash = HASHES[algorithm.slice(2)];
  if (family === 'RS') return { name: 'RSASSA-PKCS1-v1_5', hash };
  if (family === 'PS') return { name: 'RSA-PSS', hash };
  if (family === 'ES') return { name: 'ECDSA', namedCurve: CURVES[algorithm] };
  return null;
}

function hmacVerifier(algorithm: JwtAlgorithm, secret: unknown, secretIsBase64: boolean): Verifier | null {
  if (typeof secret !== 'string') return null;
  const bytes = secretIsBase64 ? decodeBase64Url(secret) : Buffer.from(secret, 'utf8');
  if (bytes === null) return null;
  try {
    const key = createSecretKey(bytes).toCryptoKey({ name: 'HMAC', hash: HASHES[algorithm.slice(2)] }, false, ['verify']);
    return { kind: 'jose', key };
  } catch {
    return { kind: 'never' };
  }
}

function publicVerifier(algorithm: JwtAlgorithm, pem: unknown): Verifier | null {
  if (typeof pem !== 'string') return null;
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey(pem);
  } catch {
    return { kind: 'broken' };
  }
  try {
    const params = publicKeyParams(algorithm);
    if (params !== null) return { kind: 'jose', key: keyObject.toCryptoKey(params, false, ['verify']) };
    if (keyObject.asymmetricKeyType === 'ed25519') return { kind: 'jose', key: keyObject.toCryptoKey({ name: 'Ed25519' }, false, ['verify']) };
    if (keyObject.asymmetricKeyType === 'ed448') return { kind: 'node', key: keyObject };
    return { kind: 'never' };
  } catch {
    // The key's type does not fit the algorithm.
    return { kind: 'never' };
  }
}

function compileVerifier(algorithm: JwtAlgorithm, row: Readonly<Record<string, unknown>>, secretIsBase64: boolean): Verifier | null {
  return algorithm.startsWith('HS') ? hmacVerifier(algorithm, row.secret, secretIsBase64) : publicVerifier(algorithm, row.rsa_public_key);
}

function entryOf(match: CredentialMatch): JwtEntry {
  const row = match.credential as unknown as Readonly<Record<string, unknown>>;
  const algorithm = (typeof row.algorithm === 'string' ? row.algorithm : 'HS256') as JwtAlgorithm;
  // Two slots: the verifier with and without base64 decoding of the secret, each made on first use.
  const compiled: [Verifier | null | undefined, Verifier | null | undefined] = [undefined, undefined];
  return {
    credential: Object.freeze({ id: match.credential.id, key: String(row.key), algorithm, consumer: Object.freeze({ id: match.consumer.id }) }),
    consumer: match.consumer,
    algorithm,
    verifier(secretIsBase64: boolean): Verifier | null {
      const slot = secretIsBase64 ? 1 : 0;
      const known = compiled[slot];
      if (known !== undefined) return known;
      // Only HS* reads the secret; the public key's verifier is the same either way.
      const other = compiled[1 - slot];
      const verifier = other !== undefined && !algorithm.startsWith('HS') ? other : compileVerifier(algorithm, row, secretIsBase64);
      compiled[slot] = verifier;
      return verifier;
    },
  };
}

/** One index per snapshot, whichever jwt plugin entity asks first. */
const indexes = new WeakMap<ReadonlyMap<string, CredentialMatch>, ReadonlyMap<string, JwtEntry>>();

/** The snapshot's jwt credentials by `key`. */
export function credentialIndex(data: PluginConfigData): ReadonlyMap<string, JwtEntry> {
  const byKey = data.credentialsBy('jwt_secrets', 'key');
  let index = indexes.get(byKey);
  if (index === undefined) {
    const built = new Map<string, JwtEntry>();
    for (const [key, match] of byKey) built.set(key, entryOf(match));
    index = built;
    indexes.set(byKey, index);
  }
  return index;
}

/**
 * Whether the token's signature is valid for the verifier (jose for every algorithm but Ed448). Anything jose
 * refuses — a bad signature, a malformed part, an RSA key under 2048 bits — is an invalid signature.
 */
export async function verifySignature(token: DecodedToken, compact: string, verifier: Verifier): Promise<boolean> {
  switch (verifier.kind) {
    case 'never':
      return false;
    case 'broken':
      throw new Error('Consumer Public Key is Invalid');
    case 'node':
      try {
        return nodeVerify(null, Buffer.from(token.signingInput), verifier.key, token.signature);
      } catch {
        return false;
      }
    case 'jose':
      try {
        await compactVerify(compact, verifier.key, { algorithms: [token.alg] });
        return true;
      } catch {
        return false;
      }
  }
}
