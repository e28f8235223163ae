/**
 * Test helper: a throw-away PKI made with the openssl command — a CA, a client certificate it signed, a
 * foreign self-signed client certificate, and a server certificate for 127.0.0.1 — as PEM text.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caCert: string;
  client: { cert: string; key: string };
  foreign: { cert: string; key: string };
  server: { cert: string; key: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-pki-'));
  const at = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=Tollgate Test CA', '-keyout', at('ca.key'), '-out', at('ca.crt')]);
    openssl(['req', '-new', ...EC, '-subj', '/CN=admin-client', '-keyout', at('client.key'), '-out', at('client.csr')]);
    writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', at('client.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', at('client.ext'), '-out', at('client.crt')]);
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=intruder', '-keyout', at('foreign.key'), '-out', at('foreign.crt')]);
    openssl(['req', '-x509', ...EC, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', at('server.key'), '-out', at('server.crt')]);
    const read = (name: string) => readFileSync(at(name), 'utf8');
    return {
      caCert: read('ca.crt'),
      client: { cert: read('client.crt'), key: read('client.key') },
      foreign: { cert: read('foreign.crt'), key: read('foreign.key') },
      server: { cert: read('server.crt'), key: read('server.key') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
