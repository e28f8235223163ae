import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dialClusterTls, serveClusterTls } from '../../test/helpers/cluster-pki.ts';
import { runHybridCommand } from '../cli/hybrid.ts';
import { generateClusterCertificate } from './gen-cert.ts';
import { controlPlaneServerOptions, dataPlaneClientOptions, verifyDataPlane, type ClusterTlsSettings, type PeerCheck } from './tls.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-gen-cert-test-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

describe('generateClusterCertificate', () => {
  test('writes a self-signed P-256 certificate for tollgate_clustering and an owner-only key', () => {
    const dir = freshDir();
    const certPath = join(dir, 'cluster.crt');
    const keyPath = join(dir, 'cluster.key');
    generateClusterCertificate({ certPath, keyPath });

    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    assert.equal(statSync(certPath).mode & 0o777, 0o644);
    const cert = new X509Certificate(readFileSync(certPath));
    const key = createPrivateKey(readFileSync(keyPath));
    assert.equal(cert.subject, 'CN=tollgate_clustering');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey), 'signed by its own key');
    assert.equal(cert.subjectAltName, 'DNS:tollgate_clustering');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(cert.checkPrivateKey(key));
    // Every node holds this key, so the certificate must not be able to vouch for others.
    assert.equal(cert.ca, false);
    assert.equal(cert.validToDate.getTime() - cert.validFromDate.getTime(), 1095 * DAY);
    assert.ok(Math.abs(cert.validFromDate.getTime() - Date.now()) < 60_000);
  });

  test('honours days, whatever the umask', () => {
    const dir = freshDir();
    const old = process.umask(0o077);
    try {
      generateClusterCertificate({ certPath: join(dir, 'c.crt'), keyPath: join(dir, 'c.key'), days: 7 });
    } finally {
      process.umask(old);
    }
    const cert = new X509Certificate(readFileSync(join(dir, 'c.crt')));
    assert.equal(cert.validToDate.getTime() - cert.validFromDate.getTime(), 7 * DAY);
    assert.equal(statSync(join(dir, 'c.crt')).mode & 0o777, 0o644);
    assert.equal(statSync(join(dir, 'c.key')).mode & 0o777, 0o600);
  });

  test('refuses to overwrite either file and leaves both untouched', () => {
    const dir = freshDir();
    const certPath = join(dir, 'cluster.crt');
    const keyPath = join(dir, 'cluster.key');
    writeFileSync(certPath, 'precious');
    assert.throws(() => generateClusterCertificate({ certPath, keyPath }), {
      message: `${certPath} already exists; refusing to overwrite it (remove it first)`,
    });
    assert.equal(readFileSync(certPath, 'utf8'), 'precious');
    assert.equal(existsSync(keyPath), false);

    rmSync(certPath);
    writeFileSync(keyPath, 'precious key');
    assert.throws(() => generateClusterCertificate({ certPath, keyPath }), new RegExp(`${keyPath} already exists`));
    assert.equal(readFileSync(keyPath, 'utf8'), 'precious key');
    assert.equal(existsSync(certPath), false);
  });

  test('rejects a validity that is not a positive whole number of days', () => {
    const dir = freshDir();
    for (const days of [0, -3, 1.5, Number.NaN]) {
      assert.throws(() => generateClusterCertificate({ certPath: join(dir, 'c.crt'), keyPath: join(dir, 'c.key'), days }), /positive whole number of days/);
    }
    assert.equal(existsSync(join(dir, 'c.crt')), false);
  });

  test('the pair works for shared-mode cluster TLS', async () => {
    const dir = freshDir();
    generateClusterCertificate({ certPath: join(dir, 'cluster.crt'), keyPath: join(dir, 'cluster.key'), days: 1 });
    const s: ClusterTlsSettings = {
      mode: 'shared',
      cert: readFileSync(join(dir, 'cluster.crt'), 'utf8'),
      key: readFileSync(join(dir, 'cluster.key'), 'utf8'),
      caCert: null,
      serverName: null,
      allowedCommonNames: [],
      ocsp: 'off',
    };
    const server = await serveClusterTls(controlPlaneServerOptions(s), (socket) => verifyDataPlane(socket, s));
    try {
      const check = (await dialClusterTls(server.port, dataPlaneClientOptions(s, '127.0.0.1'))) as PeerCheck;
      assert.equal(check.ok, true);
      assert.equal((check as { commonName: string }).commonName, 'tollgate_clustering');
    } finally {
      await server.close();
    }
  });
});

describe('tollgate hybrid', () => {
  function run(positional: string[], options: { days?: string; cwd: string }): { status: number; stdout: string; stderr: string } {
    let stdout = '';
    let stderr = '';
    const out = process.stdout.write;
    const err = process.stderr.write;
    process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
    try {
      return { status: runHybridCommand(positional, options), stdout, stderr };
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
  }

  test('gen_cert writes cluster.crt and cluster.key in the current directory, once', () => {
    const cwd = freshDir();
    const first = run(['gen_cert'], { cwd });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`to ${join(cwd, 'cluster.crt')} and its private key to ${join(cwd, 'cluster.key')} \\(valid for 1095 days\\)`));
    assert.ok(existsSync(join(cwd, 'cluster.key')));

    const second = run(['gen_cert'], { cwd });
    assert.equal(second.status, 1);
    assert.equal(second.stdout, '');
    assert.equal(second.stderr, `Error: ${join(cwd, 'cluster.crt')} already exists; refusing to overwrite it (remove it first)\n`);
  });

  test('gen_cert takes CERT KEY relative to the current directory, and --days', () => {
    const cwd = freshDir();
    const r = run(['gen_cert', 'a.pem', 'b.pem'], { cwd, days: '30' });
    assert.equal(r.status, 0, r.stderr);
    const cert = new X509Certificate(readFileSync(join(cwd, 'a.pem')));
    assert.equal(cert.validToDate.getTime() - cert.validFromDate.getTime(), 30 * DAY);
    assert.equal(statSync(join(cwd, 'b.pem')).mode & 0o777, 0o600);
  });

  test('bad input: usage or a precise error, exit status 1, nothing written', () => {
    const cwd = freshDir();
    for (const [positional, days, pattern] of [
      [[], undefined, /^Error: missing hybrid command; expected gen_cert\n\nUsage: tollgate hybrid gen_cert/],
      [['gen_key'], undefined, /^Error: unknown hybrid command 'gen_key'; expected gen_cert\n\nUsage:/],
      [['gen_cert', 'only-cert.pem'], undefined, /^Error: gen_cert takes both CERT and KEY, or neither/],
      [['gen_cert'], 'ten', /^Error: --days must be a positive whole number, got 'ten'\n$/],
      [['gen_cert'], '0', /^Error: --days must be a positive whole number, got '0'\n$/],
      [['gen_cert'], '1e3', /got '1e3'/],
    ] as const) {
      const r = run([...positional], { cwd, days });
      assert.equal(r.status, 1, `${positional.join(' ')} ${days ?? ''}`);
      assert.match(r.stderr, pattern);
    }
    assert.equal(existsSync(join(cwd, 'cluster.crt')), false);
  });
});
