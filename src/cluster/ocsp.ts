import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type OcspStatus = 'good' | 'revoked' | 'unknown' | 'no-responder' | 'error';

export interface OcspResult {
  status: OcspStatus;
  detail: string;
}

export interface OcspOptions {
  /** Whole check, request and verification included; the openssl process is killed when it runs out. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** The first OCSP responder URL in the certificate's Authority Information Access, or null. */
export function ocspResponderUrl(certPem: string): string | null {
  const info = new X509Certificate(certPem).infoAccess;
  if (!info) return null;
  for (const line of info.split('\n')) {
    const m = /^OCSP - URI:(.+)$/.exec(line.trim());
    if (m) return m[1].trim();
  }
  return null;
}

/**
 * Asks the OCSP responder named in the leaf certificate whether it is revoked. Node has no OCSP client, so
 * this runs `openssl ocsp`. The answer must be signed by the issuer or by a responder the issuer delegated
 * to; anything unverifiable is an `error`, never a status.
 */
export async function checkOcsp(leafPem: string, issuerPem: string, options: OcspOptions = {}): Promise<OcspResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let leaf: X509Certificate;
  let issuer: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
    issuer = new X509Certificate(issuerPem);
  } catch (err) {
    return { status: 'error', detail: `cannot read the certificate to check: ${(err as Error).message}` };
  }
  const url = ocspResponderUrl(leafPem);
  if (url === null) return { status: 'no-responder', detail: 'the certificate names no OCSP responder (no OCSP URI in its Authority Information Access)' };
  if (!/^https?:\/\//i.test(url)) return { status: 'error', detail: `unsupported OCSP responder URL ${url}` };

  const dir = await mkdtemp(join(tmpdir(), 'tollgate-ocsp-'));
  try {
    const leafFile = join(dir, 'leaf.pem');
    const issuerFile = join(dir, 'issuer.pem');
    await writeFile(leafFile, leaf.toString());
    await writeFile(issuerFile, issuer.toString());
    const args = [
      'ocsp', '-issuer', issuerFile, '-cert', leafFile, '-url', url,
      // The issuer is the only trust anchor: it signs its own responses, or certifies the responder that
      // does (-partial_chain lets a non-root issuer anchor that). The system stores must not count.
      '-CAfile', issuerFile, '-partial_chain', '-no-CApath', '-no-CAstore',
      // No -timeout: with it, openssl 3.0 keeps retrying a refused connection until the time is up, which
      // would turn a responder that is plainly down into a slow failure. The kill below bounds the wait.
    ];
    const run = await runOpenssl(args, timeoutMs);
    if (run.timedOut) return { status: 'error', detail: `OCSP responder ${url} did not answer within ${timeoutMs} ms` };
    if (run.spawnError) return { status: 'error', detail: `cannot run openssl for the OCSP check: ${run.spawnError}` };
    if (run.exitCode !== 0 || !/Response verify OK/.test(run.stderr)) {
      return { status: 'error', detail: `OCSP check against ${url} failed: ${summarize(run.stderr || run.stdout)}` };
    }
    const line = new RegExp(`^${escapeRegExp(leafFile)}: (good|revoked|unknown)\\s*$`, 'm').exec(run.stdout);
    if (!line) return { status: 'error', detail: `OCSP responder ${url} gave no status for the certificate: ${summarize(run.stdout)}` };
    const status = line[1] as 'good' | 'revoked' | 'unknown';
    if (status === 'good') return { status, detail: `OCSP responder ${url} reports the certificate as good` };
    if (status === 'unknown') return { status, detail: `OCSP responder ${url} does not know the certificate` };
    const reason = /Reason: (.+)/.exec(run.stdout)?.[1].trim();
    const when = /Revocation Time: (.+)/.exec(run.stdout)?.[1].trim();
    const extra = [reason && `reason ${reason}`, when && `since ${when}`].filter(Boolean).join(', ');
    return { status, detail: `OCSP responder ${url} reports the certificate as revoked${extra ? ` (${extra})` : ''}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface OpensslRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError: string | null;
}

function runOpenssl(args: string[], timeoutMs: number): Promise<OpensslRun> {
  return new Promise((resolve) => {
    execFile('openssl', args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
      resolve({
        exitCode: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
        stdout,
        stderr,
        timedOut: e !== null && e.killed === true,
        spawnError: e !== null && typeof e.code === 'string' ? `${e.code} ${e.message}` : null,
      });
    });
  });
}

// OpenSSL error-stack lines look like `8050...:error:13800065:OCSP routines:fn:reason:../file.c:64:extra`;
// only the reason and the extra text mean anything to an operator.
const OPENSSL_ERROR_LINE = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:(.*?):[^:]*\.c:\d+:(.*)$/;

function summarize(text: string): string {
  const parts: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = OPENSSL_ERROR_LINE.exec(line);
    const part = m ? [m[1], m[2]].map((x) => x.trim()).filter((x) => x !== '').join(': ') : line;
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.slice(0, 4).join('; ') || 'no output';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
