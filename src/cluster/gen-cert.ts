import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The name every node of a shared-mode cluster presents and expects (CN, DNS SAN and SNI). */
export const SHARED_CLUSTER_NAME = 'tollgate_clustering';

export const DEFAULT_CLUSTER_CERT_DAYS = 1095;

export interface GenerateClusterCertificateOptions {
  certPath: string;
  keyPath: string;
  days?: number;
}

// An explicit config keeps the result independent of the system openssl.cnf. CA:FALSE because every node
// holds this key: it must not be able to mint other certificates that a node trusting this one would accept.
const REQ_CONFIG = `[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = ${SHARED_CLUSTER_NAME}
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:${SHARED_CLUSTER_NAME}
subjectKeyIdentifier = hash
`;

/**
 * Makes the certificate/key pair of shared-mode clustering: one self-signed EC P-256 certificate that the
 * control plane and every data plane present and pin. Node cannot sign certificates, so this runs openssl.
 * Throws, without touching anything, when either file already exists.
 */
export function generateClusterCertificate(options: GenerateClusterCertificateOptions): void {
  const { certPath, keyPath } = options;
  const days = options.days ?? DEFAULT_CLUSTER_CERT_DAYS;
  if (!Number.isSafeInteger(days) || days <= 0) {
    throw new Error(`the validity of the cluster certificate must be a positive whole number of days, got ${String(days)}`);
  }
  for (const path of [certPath, keyPath]) {
    if (existsSync(path)) throw new Error(`${path} already exists; refusing to overwrite it (remove it first)`);
  }

  // openssl writes into a private directory first, so that a failure never leaves half a pair behind and
  // the exclusive writes below cannot clobber a file that appeared in the meantime.
  const work = mkdtempSync(join(tmpdir(), 'tollgate-gen-cert-'));
  try {
    writeFileSync(join(work, 'req.cnf'), REQ_CONFIG);
    try {
      execFileSync('openssl', ['req', '-x509', '-config', join(work, 'req.cnf'), '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:P-256', '-nodes', '-days', String(days), '-keyout', join(work, 'key.pem'),
        '-out', join(work, 'cert.pem')], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`openssl could not make the cluster certificate: ${opensslMessage(err)}`);
    }
    const cert = readFileSync(join(work, 'cert.pem'));
    const key = readFileSync(join(work, 'key.pem'));
    writeExclusive(keyPath, key, 0o600);
    try {
      writeExclusive(certPath, cert, 0o644);
    } catch (err) {
      unlinkSync(keyPath);
      throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function writeExclusive(path: string, data: Buffer, mode: number): void {
  try {
    writeFileSync(path, data, { flag: 'wx', mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`${path} already exists; refusing to overwrite it (remove it first)`);
    }
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  }
  // The umask may have taken bits away (or, for the key, the caller must get exactly owner-only).
  chmodSync(path, mode);
}

function opensslMessage(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string; code?: string };
  if (e.code === 'ENOENT') return 'the openssl command was not found on PATH';
  const stderr = e.stderr ? e.stderr.toString().trim() : '';
  return stderr || e.message || String(err);
}
