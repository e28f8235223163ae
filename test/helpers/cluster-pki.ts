/**
 * Test helper: throw-away cluster PKIs made with the openssl command, a real `openssl ocsp` responder for
 * them, and a loopback HTTPS pair to try cluster TLS options with. Certificates are issued with `openssl ca`, so each CA keeps the index.txt that the responder
 * reads and that revocation updates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type RequestOptions, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { generateClusterCertificate } from '../../src/cluster/gen-cert.ts';

export interface PkiEntity {
  /** The leaf, followed by the intermediates between it and the root (none for CAs and self-signed certs). */
  cert: string;
  /** The leaf alone. */
  leaf: string;
  key: string;
  /** File holding `cert`. */
  certPath: string;
  /** File holding `leaf`. */
  leafPath: string;
  keyPath: string;
}

export interface ClusterPki {
  /** Temp directory holding everything; the caller removes it. */
  dir: string;
  /** Root CA certificate: the cluster_ca_cert. */
  caCert: string;
  root: PkiEntity;
  /** Root-most first. */
  intermediates: PkiEntity[];
  /** The CA that signed the data plane certificates: the last intermediate, or the root. */
  issuer: PkiEntity;
  /** Control plane server certificate, signed by the root: cp.tollgate.test, localhost, 127.0.0.1. */
  cp: PkiEntity;
  dp1: PkiEntity;
  /** Also carries the DNS name edge.tollgate.test. */
  dp2: PkiEntity;
  /** A DP certificate (CN expired.tollgate.test) whose validity ended yesterday. */
  expired: PkiEntity;
  /** A certificate for dp1.tollgate.test from an unrelated CA. */
  foreign: PkiEntity;
  /** A responder certificate the issuer delegated OCSP signing to. */
  ocspSigner: PkiEntity;
  /** A shared-mode pair made by generateClusterCertificate. */
  shared: PkiEntity;
  ocspUrl: string | null;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const CA_EXT = 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n';

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

function gmtStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

interface Authority {
  entity: PkiEntity;
  config: string;
  chainAbove: string;
}

export function makeClusterPki(options: { ocspUrl?: string; intermediates?: number } = {}): ClusterPki {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-cluster-pki-'));
  try {
    return buildPki(dir, options);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function buildPki(dir: string, options: { ocspUrl?: string; intermediates?: number }): ClusterPki {
  const at = (name: string) => join(dir, name);
  writeFileSync(at('req.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n');

  const entity = (name: string, chainAbove: string): PkiEntity => {
    const leaf = readFileSync(at(`${name}.leaf.pem`), 'utf8');
    const cert = leaf + chainAbove;
    writeFileSync(at(`${name}.crt`), cert);
    return { cert, leaf, key: readFileSync(at(`${name}.key`), 'utf8'), certPath: at(`${name}.crt`), leafPath: at(`${name}.leaf.pem`), keyPath: at(`${name}.key`) };
  };

  const authority = (name: string, own: PkiEntity, chainAbove: string): Authority => {
    const db = at(`${name}-db`);
    mkdirSync(join(db, 'newcerts'), { recursive: true });
    writeFileSync(join(db, 'index.txt'), '');
    writeFileSync(join(db, 'serial'), `${(0x10000000 + Math.floor(Math.random() * 0x6fffffff)).toString(16).toUpperCase()}\n`);
    const config = join(db, 'ca.cnf');
    writeFileSync(config, [
      '[ca]', 'default_ca = this_ca', '[this_ca]',
      `database = ${join(db, 'index.txt')}`, `new_certs_dir = ${join(db, 'newcerts')}`, `serial = ${join(db, 'serial')}`,
      `certificate = ${at(`${name}.leaf.pem`)}`, `private_key = ${at(`${name}.key`)}`,
      'default_md = sha256', 'policy = any_name', 'unique_subject = no', 'copy_extensions = none',
      '[any_name]', 'commonName = supplied', '',
    ].join('\n'));
    return { entity: own, config, chainAbove };
  };

  const selfSignedCa = (name: string, cn: string): Authority => {
    writeFileSync(at(`${name}.cnf`), `[req]\ndistinguished_name = dn\nx509_extensions = v3\n[dn]\n[v3]\n${CA_EXT}`);
    openssl(['req', '-x509', '-config', at(`${name}.cnf`), ...EC, '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', at(`${name}.key`), '-out', at(`${name}.leaf.pem`)]);
    return authority(name, entity(name, ''), '');
  };

  const issue = (by: Authority, name: string, cn: string, ext: string, validity?: { from: number; to: number }): PkiEntity => {
    writeFileSync(at(`${name}.ext`), ext);
    openssl(['req', '-new', '-config', at('req.cnf'), ...EC, '-subj', `/CN=${cn}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
    const dates = validity ? ['-startdate', gmtStamp(validity.from), '-enddate', gmtStamp(validity.to)] : ['-days', '2'];
    openssl(['ca', '-config', by.config, '-batch', '-notext', ...dates, '-extfile', at(`${name}.ext`), '-in', at(`${name}.csr`),
      '-out', at(`${name}.leaf.pem`)]);
    // The chain a holder presents: its issuer and everything above it except the root.
    return entity(name, by.chainAbove);
  };

  const rootCa = selfSignedCa('root', 'Tollgate Cluster Test Root CA');
  let issuing = rootCa;
  const intermediates: PkiEntity[] = [];
  for (let i = 1; i <= (options.intermediates ?? 0); i++) {
    const name = `intermediate${i}`;
    const own = issue(issuing, name, `Tollgate Cluster Test Intermediate ${i}`, CA_EXT);
    intermediates.push(own);
    issuing = authority(name, own, own.cert);
  }

  const aia = options.ocspUrl ? `authorityInfoAccess = OCSP;URI:${options.ocspUrl}\n` : '';
  const dpExt = (...dnsNames: string[]) =>
    'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n' +
    `subjectAltName = ${dnsNames.map((n) => `DNS:${n}`).join(',')}\n${aia}`;
  const now = Date.now();
  const day = 86_400_000;

  const cp = issue(rootCa, 'cp', 'cp.tollgate.test',
    'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth,clientAuth\n' +
      'subjectAltName = DNS:cp.tollgate.test,DNS:localhost,IP:127.0.0.1\n');
  const dp1 = issue(issuing, 'dp1', 'dp1.tollgate.test', dpExt('dp1.tollgate.test'));
  const dp2 = issue(issuing, 'dp2', 'dp2.tollgate.test', dpExt('dp2.tollgate.test', 'edge.tollgate.test'));
  const expired = issue(issuing, 'expired', 'expired.tollgate.test', dpExt('expired.tollgate.test'), { from: now - 3 * day, to: now - day });
  const ocspSigner = issue(issuing, 'ocsp-signer', 'Tollgate Cluster Test OCSP Responder',
    'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = OCSPSigning\n');

  const foreignCa = selfSignedCa('foreign-root', 'Unrelated Test CA');
  const foreign = issue(foreignCa, 'foreign', 'dp1.tollgate.test', dpExt('dp1.tollgate.test'));

  const shared = makeSharedPair(dir, 'shared');

  return {
    dir, caCert: rootCa.entity.leaf, root: rootCa.entity, intermediates, issuer: issuing.entity, cp, dp1, dp2, expired, foreign,
    ocspSigner, shared, ocspUrl: options.ocspUrl ?? null,
  };
}

/** A shared-mode certificate/key pair written by generateClusterCertificate into `dir`. */
export function makeSharedPair(dir: string, name: string, days = 2): PkiEntity {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  generateClusterCertificate({ certPath, keyPath, days });
  const cert = readFileSync(certPath, 'utf8');
  return { cert, leaf: cert, key: readFileSync(keyPath, 'utf8'), certPath, leafPath: certPath, keyPath };
}

export interface OcspResponder {
  stop(): Promise<void>;
  /** Marks the certificate revoked in the issuer's index and restarts the responder so that it answers so. */
  revoke(name: 'dp1' | 'dp2'): Promise<void>;
}

/**
 * Runs `openssl ocsp` as a responder for the PKI's issuing CA on 127.0.0.1:`port` (it binds all
 * interfaces). `signer` chooses who signs the answers: the issuer itself, or its delegated responder
 * certificate, or (to forge answers) the unrelated `foreign` certificate. openssl only notices a changed index one request late, hence the restart on revoke.
 */
export async function startOcspResponder(
  pki: ClusterPki,
  port: number,
  options: { signer?: 'issuer' | 'delegated' | 'foreign' } = {},
): Promise<OcspResponder> {
  const signer = options.signer === 'issuer' ? pki.issuer : options.signer === 'foreign' ? pki.foreign : pki.ocspSigner;
  const issuerName = pki.intermediates.length > 0 ? `intermediate${pki.intermediates.length}` : 'root';
  const db = join(pki.dir, `${issuerName}-db`);
  let child: ChildProcess | null = null;

  const start = async () => {
    const proc = spawn('openssl', ['ocsp', '-index', join(db, 'index.txt'), '-port', String(port), '-rsigner', signer.leafPath,
      '-rkey', signer.keyPath, '-CA', pki.issuer.leafPath, '-ndays', '1', '-ignore_err'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    // Readiness comes from openssl's own announcement: a probing connect that sends nothing would wedge
    // the single-threaded 3.0 responder.
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start listening on port ${port}: ${stderr}`)), 5000);
      proc.stderr?.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
        if (/waiting for OCSP client connections/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`openssl ocsp exited: ${stderr}`));
      });
    });
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    child = proc;
    try {
      await ready;
    } catch (err) {
      await stopChild();
      throw err;
    }
  };

  const stopChild = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    stop: stopChild,
    async revoke(name) {
      openssl(['ca', '-config', join(db, 'ca.cnf'), '-revoke', pki[name].leafPath, '-crl_reason', 'keyCompromise']);
      await stopChild();
      await start();
    },
  };
}

export interface ClusterTlsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTPS server on 127.0.0.1 standing in for the control plane's cluster listener: every request is
 * answered with the JSON of whatever `judge` makes of the connection. `prepare` sees the server before it
 * listens.
 */
export async function serveClusterTls(
  options: TlsOptions,
  judge: (socket: TLSSocket) => Promise<unknown>,
  prepare: (server: Server) => void = () => {},
): Promise<ClusterTlsServer> {
  const server = createServer(options, (req, res) => {
    judge(req.socket as TLSSocket).then(
      (verdict) => res.end(JSON.stringify(verdict)),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  prepare(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One request from a data plane with these TLS options; resolves with the server's JSON, rejects with the TLS error. */
export function dialClusterTls(port: number, tlsOptions: RequestOptions, host = '127.0.0.1'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ ...tlsOptions, host, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`status ${res.statusCode ?? 0}: ${body}`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
