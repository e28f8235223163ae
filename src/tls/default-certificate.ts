import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The node's default TLS certificate for `ssl` listeners when `ssl_cert` is not set: a self-signed
 * certificate made once under the prefix (like Kong's `kong-default.crt`), so that port 8443 answers out of
 * the box. Node cannot sign certificates itself, so this uses the openssl command.
 */
export function ensureDefaultCertificate(prefix: string): { cert: string; key: string } {
  const dir = join(prefix, 'ssl');
  const certPath = join(dir, 'tollgate-default.crt');
  const keyPath = join(dir, 'tollgate-default.key');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '3650',
        '-subj', '/CN=localhost/O=Tollgate', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', keyPath, '-out', certPath],
      { stdio: 'pipe' },
    );
    chmodSync(keyPath, 0o600);
  }
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}
