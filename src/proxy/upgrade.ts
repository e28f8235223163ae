import type { Socket } from 'node:net';
import type { UpstreamController } from '../balancer/upstream-pool.ts';
import { ForwardHandler } from './forward.ts';
import type { ProxyResponse } from './proxy-response.ts';

/**
 * One HTTP Upgrade (WebSocket handshake) on its way upstream. The handshake is a request like any other: it
 * is routed, runs the rewrite and access phases, and goes through the service's connection pool, so the
 * service's TLS settings (`tls_verify`, `ca_certificates`, `tls_verify_depth`, `client_certificate`),
 * retries and passive health checks apply. Only an upstream `101 Switching Protocols` joins the two
 * connections byte for byte, as nginx and Kong do; any other answer is relayed as an ordinary response and
 * the client connection then closes, so bytes the client sent after the handshake (a pipelined request)
 * never reach the upstream unrouted. The log phase runs when the tunnel (or the refused handshake) ends.
 */
export class UpgradeHandler extends ForwardHandler {
  /** The upstream connection once it switched protocols. */
  tunnel: Socket | null = null;
  /** The client socket's bytesWritten when the tunnel opened, to count what went through it. */
  writtenBefore = 0;

  override upgrade = true;

  /** What the client sent after its handshake, held until the upstream agrees to switch. */
  get clientHead(): Buffer {
    return (this.res as ProxyResponse).upgradeHead ?? EMPTY;
  }

  onUpgrade(_controller: UpstreamController, statusCode: number, raw: string[], statusMessage: string, upstream: Socket, head: Buffer): void {
    this.clearTimers();
    upstream.on('error', destroyQuietly);
    const client = this.req.socket;
    if (this.done || client.destroyed) {
      upstream.destroy();
      return;
    }
    // A least-connections upstream keeps counting the tunnel until it closes (finish releases it).
    this.headersAt = performance.now();
    this.reportStatus(statusCode);
    const res = this.res as ProxyResponse;
    res.detachSocket(client);
    res.statusCode = statusCode;
    res.upgraded = true;
    this.tunnel = upstream;
    let text = `HTTP/1.1 ${statusCode} ${statusMessage || 'Switching Protocols'}\r\n`;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    text += '\r\n';
    this.writtenBefore = client.bytesWritten;
    const plugins = this.plugins;
    if (plugins !== null) {
      plugins.upstream = { status: statusCode, headers: raw, body: null };
      plugins.upstreamHeadersAt = this.headersAt;
      plugins.downstream = { status: statusCode, headers: raw, source: 'service', size: 0 };
    }
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.write(text, 'latin1');
    if (head.length > 0) client.write(head);
    const clientHead = this.clientHead;
    if (clientHead.length > 0) upstream.write(clientHead);
    upstream.pipe(client);
    client.pipe(upstream);
    // The client side's close reaches `clientClosed` through the connection's own listener.
    upstream.once('close', () => {
      if (!client.destroyed) client.destroy();
      if (!this.done) this.finish();
    });
  }

  override sentStatus(): number {
    return this.tunnel !== null ? this.res.statusCode : super.sentStatus();
  }

  override finish(): void {
    const tunnel = this.tunnel;
    if (tunnel !== null) {
      this.bodyBytes = Math.max(0, this.req.socket.bytesWritten - this.writtenBefore);
      if (this.plugins?.downstream != null) this.plugins.downstream = { ...this.plugins.downstream, size: this.bodyBytes };
      if (!tunnel.destroyed) tunnel.destroy();
    }
    super.finish();
  }
}

const EMPTY = Buffer.alloc(0);

function destroyQuietly(this: Socket): void {
  this.destroy();
}
