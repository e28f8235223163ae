/**
 * The "plain Node" reference contestant: a `node:http` server that forwards every request to one upstream with
 * an undici `Pool` and streams both bodies, with no routing, plugins or header rewriting beyond dropping
 * hop-by-hop headers. Whatever Tollgate costs above this is the price of its own features.
 *
 *   node bench/minimal-proxy.ts --listen 127.0.0.1:8000 --upstream http://127.0.0.1:8080 [--workers 2]
 *
 * With `--workers N > 1` a `node:cluster` primary forks N workers (round-robin distribution of connections,
 * Node's default on Linux); with one worker the single process serves directly. SIGTERM stops cleanly, so
 * `--cpu-prof` profiles get written.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse, OutgoingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

/** Settings of the minimal proxy. */
export interface MinimalProxyOptions {
  host: string;
  port: number;
  upstream: string;
  workers: number;
  /** Upper bound of connections to the upstream per worker. */
  upstreamConnections: number;
}

// Connection-level headers (RFC 9110 §7.6.1) belong to one hop; `host` is dropped so undici sends the upstream's.
/**
 * `MINIMAL_PROXY_KONG_HEADERS=1` makes the minimal proxy add the headers a Kong-compatible gateway must add
 * (X-Real-IP, X-Forwarded-*, Via and a request id upstream; Via, latency headers and the request id
 * downstream), with constant values and still no routing: it separates the cost of those headers from the
 * cost of Tollgate's own machinery (see docs/benchmarks.md).
 */
export const KONG_HEADERS = process.env.MINIMAL_PROXY_KONG_HEADERS === '1';
const REQUEST_ID = '0123456789abcdef0123456789abcdef';

/** The upstream headers Kong adds, with constant values (the Host header is the upstream's). */
export function kongUpstreamHeaders(path: string): string[] {
  return [
    'X-Real-IP', '127.0.0.1', 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', '127.0.0.1',
    'X-Forwarded-Port', '8000', 'X-Forwarded-Path', path, 'Via', '1.1 minimal-proxy', 'X-Tollgate-Request-Id', REQUEST_ID,
  ];
}

/** The response headers Kong adds by default. */
export const KONG_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  Via: '1.1 minimal-proxy',
  'X-Tollgate-Upstream-Latency': '0',
  'X-Tollgate-Proxy-Latency': '0',
  'X-Tollgate-Request-Id': REQUEST_ID,
};

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authenticate', 'proxy-authorization', 'host',
]);

/**
 * Request headers to send upstream, from Node's flat `rawHeaders` list (avoids building `req.headers`), and
 * whether the request declares a body.
 */
export function forwardRequestHeaders(rawHeaders: readonly string[]): { headers: string[]; hasBody: boolean } {
  const headers: string[] = [];
  let hasBody = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    if (lower === 'content-length') hasBody = rawHeaders[i + 1] !== '0';
    else if (lower === 'transfer-encoding') hasBody = true;
    if (HOP_BY_HOP.has(lower)) continue;
    headers.push(name, rawHeaders[i + 1]);
  }
  return { headers, hasBody };
}

/** Response headers to send downstream: undici's parsed headers minus hop-by-hop ones (Node adds its own). */
export function forwardResponseHeaders(headers: Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (name === 'host' || !HOP_BY_HOP.has(name)) out[name] = headers[name];
  }
  return out;
}

/** One forwarded request: streams the upstream answer into `res`, honouring backpressure both ways. */
class ForwardedRequest implements Dispatcher.DispatchHandler {
  readonly res: ServerResponse;
  controller: Dispatcher.DispatchController | null = null;
  finished = false;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    if (this.res.destroyed) return;
    const out = forwardResponseHeaders(headers);
    if (KONG_HEADERS) Object.assign(out, KONG_RESPONSE_HEADERS);
    this.res.writeHead(statusCode, statusMessage, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.finished = true;
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finished = true;
    if (this.res.headersSent || this.res.destroyed) {
      this.res.destroy(error);
      return;
    }
    this.res.writeHead(502, { 'content-type': 'text/plain', 'content-length': '22' });
    this.res.end('upstream unreachable.\n');
  }

  /** The client went away before the answer was complete: stop the upstream request too. */
  clientClosed(): void {
    if (!this.finished) this.controller?.abort(new Error('client closed the connection'));
  }
}

/** Starts one serving process; resolves once it listens. */
export function startProxyServer(options: MinimalProxyOptions): Promise<{ close(): Promise<void> }> {
  const upstream = new URL(options.upstream);
  const pool = new Pool(upstream.origin, { connections: options.upstreamConnections, pipelining: 1, keepAliveTimeout: 60_000 });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const { headers, hasBody } = forwardRequestHeaders(req.rawHeaders);
    if (KONG_HEADERS) headers.push(...kongUpstreamHeaders(req.url ?? '/'));
    const forwarded = new ForwardedRequest(res);
    res.once('close', () => forwarded.clientClosed());
    pool.dispatch({ path: req.url ?? '/', method: req.method ?? 'GET', headers, body: hasBody ? req : null }, forwarded);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve({
        async close() {
          server.closeAllConnections();
          await new Promise((done) => server.close(done));
          await pool.close();
        },
      });
    });
  });
}

/** Parses `--listen host:port --upstream URL [--workers N] [--upstream-connections N]`. */
export function parseMinimalProxyArgs(argv: readonly string[]): MinimalProxyOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      listen: { type: 'string', default: '127.0.0.1:8000' },
      upstream: { type: 'string' },
      workers: { type: 'string', default: '1' },
      'upstream-connections': { type: 'string', default: '256' },
    },
  });
  const match = /^(.+):(\d+)$/.exec(values.listen);
  if (!match) throw new Error(`minimal-proxy: --listen must be host:port, got ${values.listen}`);
  if (!values.upstream) throw new Error('minimal-proxy: --upstream is required, e.g. --upstream http://127.0.0.1:8080');
  const workers = Number(values.workers);
  const upstreamConnections = Number(values['upstream-connections']);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`minimal-proxy: --workers must be a whole number >= 1, got ${values.workers}`);
  if (!Number.isInteger(upstreamConnections) || upstreamConnections < 1) {
    throw new Error(`minimal-proxy: --upstream-connections must be a whole number >= 1, got ${values['upstream-connections']}`);
  }
  return { host: match[1], port: Number(match[2]), upstream: new URL(values.upstream).href, workers, upstreamConnections };
}

async function serveUntilTerminated(options: MinimalProxyOptions): Promise<void> {
  const server = await startProxyServer(options);
  const stop = (): void => {
    void server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (cluster.isWorker) process.once('disconnect', stop);
}

function runPrimary(options: MinimalProxyOptions): void {
  let stopping = false;
  let listening = 0;
  for (let i = 0; i < options.workers; i++) cluster.fork();
  // Said once every worker listens (and so has its SIGTERM handler), for whoever waits on it.
  cluster.on('listening', () => {
    if (++listening === options.workers) process.stdout.write(`minimal-proxy: ${options.workers} workers listening\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`minimal-proxy: worker ${worker.process.pid} died (${signal ?? code}); stopping\n`);
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping ? 0 : 1);
  });
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.main) {
  try {
    const options = parseMinimalProxyArgs(process.argv.slice(2));
    if (options.workers > 1 && cluster.isPrimary) runPrimary(options);
    else await serveUntilTerminated(options);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
