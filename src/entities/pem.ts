/**
 * PEM helpers for certificate entities, on node:crypto: does a key match a certificate, what kind of key
 * does a certificate carry, what is its digest. Parsing failures return null: the field validators have
 * already reported them, and entity checks are skipped for invalid fields.
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';

export function parseCertificate(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

export function parsePrivateKey(pem: string): KeyObject | null {
  try {
    return createPrivateKey(pem);
  } catch {
    return null;
  }
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  const cert = parseCertificate(certPem);
  const key = parsePrivateKey(keyPem);
  if (!cert || !key) return false;
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** `rsa`, `ec`, `ed25519`, ... for the certificate's public key, or null when unreadable. */
export function certificateKeyType(pem: string): string | null {
  return parseCertificate(pem)?.publicKey.asymmetricKeyType ?? null;
}

/** Lower-case hex SHA-256 of the certificate's DER encoding (Kong's `cert_digest`). */
export function certificateDigest(pem: string): string | null {
  const cert = parseCertificate(pem);
  return cert ? createHash('sha256').update(cert.raw).digest('hex') : null;
}
