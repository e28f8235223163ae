/**
 * A proxy worker's request path on a real HTTP server in this process (ProxyCore over a compiled snapshot),
 * for tests that drive plugin phases and upgrades over real sockets without starting bin/tollgate.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionPools } from '../../src/balancer/connection-pools.ts';
import { compileSnapshot } from '../../src/snapshot/compile.ts';
import type { FlatConfig } from '../../src/declarative/index.ts';
import type { SnapshotInput } from '../../src/snapshot/types.ts';
import type { PluginHandler } from '../../src/pdk/index.ts';
import { ProxyCore } from '../../src/proxy/handler.ts';
import type { ProxyOptions } from '../../src/proxy/options.ts';
import type { TracingOptions } from '../../src/tracing/instrumentations.ts';

export interface InProcessProxy {
  server: Server;
  port: number;
  close(): void;
}

/** Where the proxy's logs and health reports go; anything not given is dropped. */
export interface InProcessHooks {
  log?: (message: string) => void;
  reportHealth?: (upstreamId: string, address: string, outcome: string) => void;
  /** `tracing_instrumentations` and `tracing_sampling_rate` as a worker gets them; absent: tracing off. */
  tracing?: TracingOptions;
}

export async function startInProcessProxy(config: FlatConfig, handlers: readonly PluginHandler[], hooks: InProcessHooks = {}): Promise<InProcessProxy> {
  const log = hooks.log ?? (() => {});
  const options = {
    isTrusted: () => false,
    realIpHeader: 'x-real-ip',
    realIpRecursive: false,
    downstream: { server: true, via: true, proxyLatency: true, upstreamLatency: true, responseLatency: true, requestId: true, upstreamStatus: false },
    upstreamRequestId: false,
    errorDefaultType: 'text/plain',
    hostPorts: null,
    allowDebugHeader: false,
    shutdownTimeout: 1000,
    logUpstreamError: log,
    logPluginError: log,
    pdk: { services: null, nodeId: 'node', hostname: 'host', isTrusted: () => false, log: (level: string, m: string) => log(`${level} ${m}`), maxBodyBytes: 1024 },
    reportHealth: hooks.reportHealth ?? (() => {}),
    tracing: hooks.tracing ?? null,
  } as unknown as ProxyOptions;
  const pools = new ConnectionPools({ poolSize: 10, keepAliveTimeout: 60_000, maxRequestsPerConnection: 1000 });
  const snapshot = compileSnapshot(config as unknown as SnapshotInput, {
    flavor: 'traditional_compatible',
    pools,
    hash: '1'.repeat(32),
    handlers: new Map(handlers.map((h) => [h.name, h])),
  });
  const core = new ProxyCore(snapshot, options);
  const server = createServer(core.handleRequest);
  server.on('connection', core.handleConnection);
  server.on('upgrade', core.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
