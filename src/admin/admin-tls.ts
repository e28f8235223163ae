/**
 * `ssl` Admin API listeners: HTTPS with `admin_ssl_cert`/`admin_ssl_cert_key` (or the node's generated
 * default certificate), and mutual TLS when `admin_ssl_client_ca` is set: a client without a certificate
 * signed by that CA fails the handshake and never reaches the Admin API.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type SecureServerOptions, type ServerHttp2Session } from 'node:http2';
import type { SecureVersion } from 'node:tls';
import { readPem } from '../config/index.ts';
import type { ListenAddress, Settings } from '../config/settings-types.ts';
// A leaf module (openssl + files, no Tollgate imports), shared with the proxy's ssl listeners.
import { ensureDefaultCertificate } from '../tls/default-certificate.ts';
import { listenMaybeProxied } from '../core/proxy-protocol-listener.ts';
import { listenerTlsPolicy, serverTlsOptions, type ListenerTlsPolicy } from '../tls/listener-tls.ts';

/** What an Admin API TLS server is built from. */
export interface AdminTlsOptions {
  cert: string;
  key: string;
  /** PEM of the CA client certificates must chain to; null asks for no client certificate. */
  clientCa: string | null;
  minVersion: SecureVersion;
  /** Versions, ciphers, DH parameters and sessions from `ssl_cipher_suite` and friends; replaces `minVersion` when given. */
  policy?: ListenerTlsPolicy;
}

/** The TLS options from the settings (certificate files are read here, once). */
export function adminTlsOptions(settings: Settings): AdminTlsOptions {
  const own = settings.admin_ssl_cert.length > 0 && settings.admin_ssl_cert_key.length > 0;
  const pair = own
    ? { cert: readPem(settings.admin_ssl_cert[0]), key: readPem(settings.admin_ssl_cert_key[0]) }
    : ensureDefaultCertificate(settings.prefix);
  const clientCa = settings.admin_ssl_client_ca === null ? null : readPem(settings.admin_ssl_client_ca);
  const policy = listenerTlsPolicy(settings);
  return { ...pair, clientCa, minVersion: policy.minVersion, policy };
}

/** Starts an HTTPS server for one `ssl` listener; resolves when it listens. */
export function listenAdminHttps(
  spec: Pick<ListenAddress, 'ip' | 'port'> & { proxy_protocol?: boolean; http2?: boolean },
  tls: AdminTlsOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const mutual = tls.clientCa !== null;
  const options = {
    cert: tls.cert,
    key: tls.key,
    ...(tls.policy === undefined ? { minVersion: tls.minVersion } : serverTlsOptions(tls.policy)),
    ...(mutual ? { ca: tls.clientCa as string, requestCert: true, rejectUnauthorized: true } : {}),
  };
  if (spec.http2 === true) return listenMaybeProxied(http2Server(options, handler), spec, true);
  const server = createServer({ keepAliveTimeout: 60_000, ...options }, handler);
  return listenMaybeProxied(server, spec, true);
}

/**
 * An `ssl http2` listener: HTTP/2 by ALPN, HTTP/1.1 for the other clients. Node's compatibility request and
 * response offer what the JSON handlers use (headers, status, body, `res.req`), so they serve both. It is
 * returned as an HTTP server, with `closeIdleConnections` closing its sessions gracefully on stop.
 */
function http2Server(options: SecureServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const sessions = new Set<ServerHttp2Session>();
  const server = createSecureServer({ ...options, allowHTTP1: true }, handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return Object.assign(server, {
    closeIdleConnections(): void {
      for (const session of sessions) session.close();
    },
  }) as unknown as Server;
}
