/**
 * The certificate phase: global plugins' `certificate` handlers run during the TLS handshake of `ssl`
 * listeners, before the server certificate is chosen and before any request exists. A handler that throws
 * (or rejects) aborts the handshake, as a Lua error in Kong's ssl_certificate phase does.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { PluginContext } from '../pdk/context.ts';
import { PHASE } from '../pdk/phase-rules.ts';
import type { ProxyCore } from './handler.ts';
import { runPhase } from './plugin-phases.ts';

/** The handshake seen as a request-less context: only client, log, ctx and node calls are allowed. */
function handshakeRequest(socket: TLSSocket, servername: string): IncomingMessage {
  return { socket, url: '/', method: 'GET', headers: { host: servername }, rawHeaders: [], httpVersionMajor: 1, httpVersionMinor: 1 } as unknown as IncomingMessage;
}

/**
 * Runs the certificate phase for one handshake; returns a promise only when a handler returned one. Resolves
 * (or returns) an error when a handler failed, so that the caller can abort the handshake.
 */
export function runCertificatePhase(core: ProxyCore, socket: TLSSocket, servername: string): Error | null | Promise<Error | null> {
  const steps = core.snapshot.globalPlugins.certificate;
  if (steps === null) return null;
  const options = core.options;
  const peer = socket.remoteAddress ?? '';
  const ctx = new PluginContext(handshakeRequest(socket, servername), '', [], '/', options.pdk, core.snapshot.configData, performance.now(), peer.startsWith('::ffff:') ? peer.slice(7) : peer);
  ctx.phaseBit = PHASE.certificate;
  let failure: Error | null = null;
  const result = runPhase(ctx, steps, {
    bit: PHASE.certificate,
    answers: true,
    timeoutMs: 10_000,
    log: (message) => {
      failure = new Error(message);
      options.logPluginError(message);
    },
  });
  return result === undefined ? failure : result.then(() => failure);
}
