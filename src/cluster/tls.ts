/**
 * Cluster mutual TLS between the control plane (server) and data planes (clients), in both modes:
 * `shared` (every node holds the same certificate, which each side pins) and `pki` (certificates chain to
 * cluster_ca_cert). The control plane lets every handshake complete and judges the client certificate
 * afterwards, so that it can log and answer with the reason instead of a bare TLS alert.
 */
import { constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  checkServerIdentity as nodeCheckServerIdentity,
  rootCertificates,
  type DetailedPeerCertificate,
  type PeerCertificate,
  type Server as TlsServer,
  type TLSSocket,
  type TlsOptions,
} from 'node:tls';
import type { ClientOptions as WebSocketClientOptions } from 'ws';
import { SHARED_CLUSTER_NAME } from './gen-cert.ts';
import { checkOcsp } from './ocsp.ts';

export interface ClusterTlsSettings {
  mode: 'shared' | 'pki';
  /** PEM of cluster_cert; may hold a chain, leaf first. */
  cert: string;
  key: string;
  /** PEM of cluster_ca_cert: required on the control plane in pki mode; on a data plane, what the CP must chain to. */
  caCert: string | null;
  /** Data plane, pki: the name the CP certificate must carry; null means the host of the CP address. */
  serverName: string | null;
  /** Control plane, pki: when non-empty, the DP certificate's CN or one of its DNS names must be listed. */
  allowedCommonNames: readonly string[];
  /** Control plane, pki only. */
  ocsp: 'on' | 'off' | 'optional';
}

export type PeerCheck =
  | { ok: true; commonName: string | null; expiresAt: number; fingerprint256: string; warning?: string }
  | { ok: false; reason: string };

export interface CertificateSummary {
  commonName: string | null;
  /** notAfter, ms since the epoch. */
  expiresAt: number;
  fingerprint256: string;
}

export interface DataPlaneClientOptions {
  cert: string;
  key: string;
  ca: string;
  servername: string;
  rejectUnauthorized: true;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  minVersion: 'TLSv1.2';
}

/** Intermediates allowed between a DP leaf and the root in cluster_ca_cert (a verify depth of 4). */
export const MAX_CLUSTER_INTERMEDIATES = 3;

/** Code of the error a data plane gets when the CP does not present the pinned shared certificate. */
export const SHARED_CERT_MISMATCH = 'ERR_CLUSTER_SHARED_CERT_MISMATCH';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text, in order. */
export function pemCertificates(pem: string): string[] {
  return pem.match(PEM_CERT) ?? [];
}

function firstCertificate(pem: string, what: string): X509Certificate {
  const first = pemCertificates(pem)[0];
  if (first === undefined) throw new Error(`${what} holds no PEM certificate`);
  return new X509Certificate(first);
}

export function certificateSummary(pem: string): CertificateSummary {
  const x509 = firstCertificate(pem, 'the certificate');
  return { commonName: commonNameOf(x509), expiresAt: x509.validToDate.getTime(), fingerprint256: x509.fingerprint256 };
}

function commonNameOf(x509: X509Certificate): string | null {
  const cn: string | string[] | undefined = x509.toLegacyObject().subject?.CN;
  if (cn === undefined) return null;
  return Array.isArray(cn) ? (cn[0] ?? null) : cn;
}

function dnsNamesOf(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (!san) return [];
  const names: string[] = [];
  // Node quotes (JSON-style) entries that contain separators, so a plain split on ", " is not enough.
  for (const m of san.matchAll(/(?:^|, )DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    names.push(m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1]);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------------------
// Control plane

export function controlPlaneServerOptions(s: ClusterTlsSettings): TlsOptions {
  let ca: string;
  if (s.mode === 'pki') {
    if (!s.caCert) throw new Error('cluster_ca_cert is required on the control plane when cluster_mtls = pki');
    ca = s.caCert;
  } else {
    // Only pinning decides in shared mode; naming the shared certificate keeps the CertificateRequest from
    // advertising the whole public root store.
    ca = firstCertificate(s.cert, 'cluster_cert').toString();
  }
  return {
    cert: s.cert,
    key: s.key,
    ca,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    // A resumed session carries the leaf but not the chain it was verified with, which the intermediate
    // count and the OCSP issuer need; data planes reconnect seldom, so full handshakes cost nothing.
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  };
}

const presentedChains = new WeakMap<TLSSocket, DetailedPeerCertificate>();
const watchedSockets = new WeakSet<TLSSocket>();

/**
 * Call once on the cluster listener's server, before it accepts connections. Node 24.21 empties the list of
 * certificates a client presented as soon as it authorizes the handshake (nodejs/node#65579), so
 * `getPeerCertificate(true)` later shows the leaf without its intermediates; verifyDataPlane needs them to
 * count intermediates and to find the issuer to ask about revocation. This reads the chain just before Node
 * does. The 'keylog' event is the only public hook that hands over the server-side socket before the
 * handshake completes; the key material it carries is ignored.
 */
export function captureDataPlaneChains(server: TlsServer): void {
  server.on('keylog', (_line: Buffer, socket: TLSSocket) => {
    if (watchedSockets.has(socket)) return;
    watchedSockets.add(socket);
    socket.prependOnceListener('secure', () => presentedChains.set(socket, socket.getPeerCertificate(true)));
  });
}

export interface VerifyDataPlaneOptions {
  ocspTimeoutMs?: number;
}

/** Judges the client certificate of an established cluster connection. Never throws. */
export async function verifyDataPlane(socket: TLSSocket, s: ClusterTlsSettings, options: VerifyDataPlaneOptions = {}): Promise<PeerCheck> {
  try {
    const peer = presentedChains.get(socket) ?? socket.getPeerCertificate(true);
    if (!peer || !peer.raw) return { ok: false, reason: 'data plane presented no client certificate' };
    const leaf = new X509Certificate(peer.raw);
    return s.mode === 'shared' ? verifySharedPeer(leaf, s) : await verifyPkiPeer(socket, peer, leaf, s, options);
  } catch (err) {
    return { ok: false, reason: `cannot verify the data plane certificate: ${(err as Error).message}` };
  }
}

function accepted(leaf: X509Certificate, warning?: string): PeerCheck {
  const result: PeerCheck = { ok: true, commonName: commonNameOf(leaf), expiresAt: leaf.validToDate.getTime(), fingerprint256: leaf.fingerprint256 };
  if (warning !== undefined) result.warning = warning;
  return result;
}

function verifySharedPeer(leaf: X509Certificate, s: ClusterTlsSettings): PeerCheck {
  // fingerprint256 is the SHA-256 digest of the whole DER certificate: equal digests, same certificate.
  const own = firstCertificate(s.cert, 'cluster_cert');
  if (leaf.fingerprint256 !== own.fingerprint256) {
    return {
      ok: false,
      reason: `data plane presented a certificate that is not the shared cluster certificate (sha256 ${leaf.fingerprint256})`,
    };
  }
  return accepted(leaf);
}

async function verifyPkiPeer(
  socket: TLSSocket,
  peer: DetailedPeerCertificate,
  leaf: X509Certificate,
  s: ClusterTlsSettings,
  options: VerifyDataPlaneOptions,
): Promise<PeerCheck> {
  if (!socket.authorized) {
    // At runtime Node stores the OpenSSL verify code here as a string, whatever the typings say.
    const raw: unknown = socket.authorizationError;
    const code = typeof raw === 'string' ? raw : raw instanceof Error ? ((raw as NodeJS.ErrnoException).code ?? raw.message) : 'UNKNOWN';
    return { ok: false, reason: `data plane certificate refused: ${explainVerifyCode(code)} (${code})` };
  }

  const chain = issuerChain(peer);
  if (chain.length === 1 && !leaf.checkIssued(leaf)) {
    // Node verified a path through intermediates that it no longer shows: fail closed rather than skip the
    // depth and revocation checks.
    return {
      ok: false,
      reason: 'cannot see the intermediate certificates the data plane presented (the cluster listener must be set up with captureDataPlaneChains)',
    };
  }
  const last = chain[chain.length - 1];
  const intermediates = chain.length - 1 - (last.checkIssued(last) ? 1 : 0);
  if (intermediates > MAX_CLUSTER_INTERMEDIATES) {
    return {
      ok: false,
      reason: `data plane certificate chain has ${intermediates} intermediate certificates; at most ${MAX_CLUSTER_INTERMEDIATES} are allowed between it and cluster_ca_cert`,
    };
  }

  if (s.allowedCommonNames.length > 0) {
    const allowed = new Set(s.allowedCommonNames.map((n) => n.toLowerCase()));
    const cn = commonNameOf(leaf);
    const dns = dnsNamesOf(leaf);
    // Host names compare without case, as DNS does.
    const candidates = [...(cn === null ? [] : [cn]), ...dns];
    if (!candidates.some((n) => allowed.has(n.toLowerCase()))) {
      const shown = cn ?? dns[0] ?? '';
      return { ok: false, reason: `data plane certificate name '${shown}' is not in cluster_allowed_common_names` };
    }
  }

  if (s.ocsp === 'off') return accepted(leaf);
  const issuer = chain[1] ?? leaf;
  const result = await checkOcsp(leaf.toString(), issuer.toString(), { timeoutMs: options.ocspTimeoutMs });
  if (result.status === 'good') return accepted(leaf);
  if (result.status === 'revoked') return { ok: false, reason: `data plane certificate is revoked: ${result.detail}` };
  return ocspInconclusive(leaf, s, result.detail);
}

function ocspInconclusive(leaf: X509Certificate, s: ClusterTlsSettings, detail: string): PeerCheck {
  if (s.ocsp === 'on') return { ok: false, reason: `OCSP check of the data plane certificate failed and cluster_ocsp = on: ${detail}` };
  return accepted(leaf, `OCSP check of the data plane certificate was inconclusive; allowed because cluster_ocsp = optional: ${detail}`);
}

/** Leaf first, then each issuer Node found (in the peer's chain, then in `ca`), without the root's self-loop. */
function issuerChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = peer;
  while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    chain.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------------------
// Data plane

/** Options for the DP's connection to the CP; usable as they are by `new WebSocket(url, options)` (ws). */
export function dataPlaneClientOptions(s: ClusterTlsSettings, controlPlaneHost: string): DataPlaneClientOptions {
  if (s.mode === 'shared') {
    const shared = firstCertificate(s.cert, 'cluster_cert');
    const pinned = shared.fingerprint256;
    return {
      cert: s.cert,
      key: s.key,
      ca: shared.toString(),
      servername: SHARED_CLUSTER_NAME,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      checkServerIdentity: (_host, cert) => {
        if (cert.fingerprint256 === pinned) return undefined;
        return Object.assign(
          new Error(`the control plane presented a certificate that is not the shared cluster certificate (sha256 ${cert.fingerprint256})`),
          { code: SHARED_CERT_MISMATCH },
        );
      },
    };
  }
  const expected = unbracket(s.serverName ?? controlPlaneHost);
  return {
    cert: s.cert,
    key: s.key,
    // No cluster_ca_cert on a data plane means a CP certificate from a public CA.
    ca: s.caCert ?? rootCertificates.join('\n'),
    // RFC 6066 forbids IP addresses in SNI; '' tells Node (and ws) to send none. Identity is still checked.
    servername: isIP(expected) ? '' : expected,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    checkServerIdentity: (_host, cert) => nodeCheckServerIdentity(expected, cert),
  };
}

/**
 * The same options typed for `new WebSocket(url, options)`. ws hands them to `tls.connect` untouched, so
 * Node's checkServerIdentity contract (return an Error to refuse) is what applies; @types/ws declares that
 * member with a different, boolean-returning signature that ws itself never calls.
 */
export function dataPlaneWebSocketOptions(s: ClusterTlsSettings, controlPlaneHost: string): WebSocketClientOptions {
  return dataPlaneClientOptions(s, controlPlaneHost) as unknown as WebSocketClientOptions;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

const VERIFY_REASONS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate signed by an unknown authority (or an intermediate certificate is missing from the chain)',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate chain ends in a self-signed certificate that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate that is not trusted',
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not valid yet',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'certificate has a malformed start of validity',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'certificate has a malformed end of validity',
  CERT_SIGNATURE_FAILURE: 'certificate signature does not verify',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'certificate signature cannot be read',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'the issuer public key cannot be read',
  CERT_REVOKED: 'certificate has been revoked',
  INVALID_CA: 'a certificate in the chain is not allowed to act as a certificate authority',
  INVALID_PURPOSE: 'certificate is not allowed for this use (check its extendedKeyUsage)',
  CERT_CHAIN_TOO_LONG: 'certificate chain is too long',
  PATH_LENGTH_EXCEEDED: 'certificate chain is longer than a CA in it allows (pathlen)',
  CERT_UNTRUSTED: 'certificate is not trusted',
  CERT_REJECTED: 'certificate is marked as rejected',
  HOSTNAME_MISMATCH: 'certificate does not carry the expected name',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not carry the expected name',
  EE_KEY_TOO_SMALL: 'certificate key is too small',
  CA_KEY_TOO_SMALL: 'a CA key in the chain is too small',
  CA_MD_TOO_WEAK: 'a signature in the chain uses a digest that is too weak',
};

/** A certificate verification code (OpenSSL's, as Node names it) in words. */
export function explainVerifyCode(code: string): string {
  return VERIFY_REASONS[code] ?? 'certificate verification failed';
}

const ALERT_HINTS: Record<string, string> = {
  'certificate unknown': 'it does not accept this node\'s cluster certificate',
  'bad certificate': 'it does not accept this node\'s cluster certificate',
  'unknown ca': 'it does not know the authority that issued this node\'s cluster certificate',
  'certificate required': 'it wants a client certificate (is cluster_cert set?)',
  'certificate expired': 'this node\'s cluster certificate has expired',
  'certificate revoked': 'this node\'s cluster certificate is revoked',
  'handshake failure': 'the two sides share no acceptable protocol, cipher or certificate',
  'protocol version': 'the two sides share no TLS version',
  'access denied': 'it denies this node access',
};

/** A data plane's failure to connect to the control plane, as one sentence ending in the error code. */
export function describeTlsError(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; reason?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const tail = code ? ` (${code})` : '';

  if (code === SHARED_CERT_MISMATCH) return `${message}; every node of a shared-mode cluster must hold the same cluster_cert${tail}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const detail = typeof e.reason === 'string' ? e.reason : message;
    return `the control plane certificate does not carry the expected name (cluster_server_name or the control plane host): ${detail}${tail}`;
  }
  if (code in VERIFY_REASONS) return `the control plane presented an unacceptable certificate: ${VERIFY_REASONS[code]}${tail}`;

  // Alerts come either as their own code or, depending on where OpenSSL noticed them, as EPROTO with the
  // alert in the message.
  const alertName =
    /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13|SSL\/TLS)_ALERT_(.+)$/.exec(code)?.[1].toLowerCase().replace(/_/g, ' ') ??
    /(?:sslv3|tlsv1|tlsv13|ssl\/tls) alert ([a-z ]+?)(?::|$)/m.exec(message)?.[1];
  if (alertName !== undefined) {
    const name = alertName;
    const hint = ALERT_HINTS[name] ?? 'it ended the TLS handshake';
    return `the control plane refused the TLS handshake with alert '${name}': ${hint}${tail}`;
  }
  if (/wrong version number|packet length too long/.test(message)) return `the control plane address does not speak TLS${tail}`;
  switch (code) {
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `the control plane address does not speak TLS${tail}`;
    case 'ECONNREFUSED':
      return `nothing accepts connections at the control plane address${tail}`;
    case 'ECONNRESET':
      return `the control plane closed the connection during the TLS handshake or right after it (it may have refused this node's certificate)${tail}`;
    case 'ETIMEDOUT':
      return `the connection to the control plane timed out${tail}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the control plane host name cannot be resolved${tail}`;
  }
  return `TLS connection to the control plane failed: ${message}${tail}`;
}
