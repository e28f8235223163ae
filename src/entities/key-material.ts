/**
 * Key material of `keys` entities on node:crypto: is a JWK string a loadable key, is a PEM pair loadable and
 * matching, and the masked form the Admin API shows. Synchronous because schema validation is (jose, the
 * JOSE library the JWT plugins use, only imports keys asynchronously).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isReference } from '../schema/index.ts';

/** The JWK members that are private key material (RFC 7518 §6: RSA, EC and OKP private parts, `oct` keys). */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't', 'k'];

/** What the Admin API shows in place of private key material. */
export const MASK = '******';

/** JWK members whose JSON type Kong's `jwk` typedef fixes (all strings but `x5c` and `key_ops`). */
const STRING_MEMBERS = [
  'issuer', 'kty', 'use', 'alg', 'kid', 'x5u', 'x5t', 'x5t#S256', 'exp', 'nbf', 'k', 'x', 'y', 'crv',
  'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'r', 't',
];

function loadJwk(jwk: Record<string, unknown>): KeyObject | null {
  try {
    return 'd' in jwk ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return null;
  }
}

/**
 * Checks a key's `jwk` string against its `kid`, in Kong's order and words; null when fine. A reference is
 * not checked (its value is only known once resolved).
 */
export function jwkProblem(jwk: string, kid: unknown): string | null {
  if (isReference(jwk)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwk);
  } catch {
    return 'could not json decode jwk string';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'could not json decode jwk string';
  const members = parsed as Record<string, unknown>;
  if (members.kid !== kid) return 'kid in jwk.kid must be equal to keys.kid';
  if (loadJwk(members) === null) return 'could not load JWK, likely not a valid key';
  for (const name of STRING_MEMBERS) {
    if (members[name] !== undefined && typeof members[name] !== 'string') return `${name}: expected a string`;
  }
  if (members.key_ops !== undefined && !(Array.isArray(members.key_ops) && members.key_ops.every((op) => typeof op === 'string'))) {
    return 'key_ops: expected an array of strings';
  }
  return null;
}

/** Checks a `pem` record (Kong's `typedefs.pem` validator); null when fine. */
export function pemProblem(pem: { readonly private_key?: unknown; readonly public_key?: unknown }): string | null {
  const { private_key: privatePem, public_key: publicPem } = pem;
  if (isReference(privatePem) || isReference(publicPem)) return null;
  let publicKey: KeyObject | null = null;
  let privateKey: KeyObject | null = null;
  if (typeof publicPem === 'string') {
    // node:crypto derives a public key from a private one; a private key in `public_key` is a mistake.
    if (/PRIVATE KEY-----/.test(publicPem)) return 'could not load public key';
    try {
      publicKey = createPublicKey({ key: publicPem, format: 'pem' });
    } catch {
      return 'could not load public key';
    }
  }
  if (typeof privatePem === 'string') {
    try {
      privateKey = createPrivateKey({ key: privatePem, format: 'pem' });
    } catch {
      return 'could not load private key';
    }
  }
  if (publicKey !== null && privateKey !== null) {
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' });
    if (derived !== publicKey.export({ type: 'spki', format: 'pem' })) return 'public key does not match private key';
  }
  return null;
}

/** A JWK string with its private members masked (references and unparsable strings unchanged). */
export function maskJwk(jwk: string): string {
  if (isReference(jwk)) return jwk;
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwk);
  } catch {
    return jwk;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return jwk;
  const members = parsed as Record<string, unknown>;
  if (!PRIVATE_JWK_MEMBERS.some((name) => name in members)) return jwk;
  const masked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(members)) masked[name] = PRIVATE_JWK_MEMBERS.includes(name) ? MASK : value;
  return JSON.stringify(masked);
}

/** A PEM private key masked (a reference stays: it names the secret, it is not the secret). */
export function maskPrivatePem(pem: unknown): unknown {
  return typeof pem === 'string' && !isReference(pem) ? MASK : pem;
}
