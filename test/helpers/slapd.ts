/**
 * Test helper: a private OpenLDAP server (Debian's `slapd`), started by the test on loopback ports from
 * `ports.ts`, with its own slapd.conf, database and TLS certificate under a temporary directory. It listens
 * for plain LDAP (which offers StartTLS) and for LDAPS, holds `ou=people` under `dc=tollgate,dc=test`, and
 * its users are loaded with `ldapadd`. The certificate (localhost, 127.0.0.1) is signed by a throw-away CA
 * made with openssl, whose file a test hands the gateway to trust.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

export const BASE_DN = 'dc=tollgate,dc=test';
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
const ROOT_DN = `cn=admin,${BASE_DN}`;
const ROOT_PW = 'root-secret';

/** The slapd binary, or null when it is not installed (`.ci/run` installs it). */
export function slapdBinary(): string | null {
  for (const path of ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/local/libexec/slapd']) if (existsSync(path)) return path;
  return null;
}

export interface LdapUser {
  /** The `uid` (and `cn`) of the user. */
  readonly uid: string;
  readonly password: string;
}

export interface Slapd {
  /** The port of `ldap://` (StartTLS offered). */
  readonly port: number;
  /** The port of `ldaps://`. */
  readonly ldapsPort: number;
  /** The CA certificate (PEM file) that signed the server's certificate. */
  readonly caFile: string;
  /** Another CA's certificate, which the server's certificate does not chain to. */
  readonly otherCaFile: string;
  readonly dir: string;
  /** Stops the server (the process this helper started) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA and a server certificate it signed for localhost and 127.0.0.1; and an unrelated CA. */
function makeCertificates(dir: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Tollgate LDAP test CA'], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=Unrelated CA'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'], dir);
}

function slapdConf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${join(dir, 'slapd.pid')}
TLSCACertificateFile ${join(dir, 'ca.pem')}
TLSCertificateFile ${join(dir, 'server.pem')}
TLSCertificateKeyFile ${join(dir, 'server.key')}
database mdb
maxsize 10485760
suffix "${BASE_DN}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PW}
directory ${join(dir, 'db')}
access to attrs=userPassword by anonymous auth by * none
access to * by * read
`;
}

function ldif(users: readonly LdapUser[]): string {
  const entries = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: tollgate\no: Tollgate\n`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n`,
    ...users.map((u) => `dn: uid=${u.uid},${PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: ${u.uid}\ncn: ${u.uid}\nsn: ${u.uid}\nuserPassword: ${u.password}\n`),
  ];
  return entries.join('\n');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd: timed out waiting for ${what}`);
}

/** Starts a private slapd with `users` under `ou=people`. */
export async function startSlapd(users: readonly LdapUser[]): Promise<Slapd> {
  const binary = slapdBinary();
  if (binary === null) throw new Error('slapd is not installed (apt-get install slapd ldap-utils; .ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'tg-slapd-'));
  mkdirSync(join(dir, 'db'));
  makeCertificates(dir);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(dir));
  const port = await freePort();
  const ldapsPort = await freePort();
  let child: ChildProcess | null = null;
  let stderr = '';

  const start = async (): Promise<void> => {
    stderr = '';
    // `-d 0` keeps slapd in the foreground, so this process owns it and can stop it by its pid.
    const proc = spawn(binary, ['-d', '0', '-f', conf, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${ldapsPort}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    child = proc;
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`slapd exited (${code}): ${stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([waitFor('its ports', async () => (await portOpen(port)) && (await portOpen(ldapsPort)), 20_000), exited]);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
    await waitFor('its port to close', async () => !(await portOpen(port)), 10_000);
  };

  await start();
  try {
    execFileSync('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${port}/`, '-D', ROOT_DN, '-w', ROOT_PW], { input: ldif(users), stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    ldapsPort,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    dir,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
