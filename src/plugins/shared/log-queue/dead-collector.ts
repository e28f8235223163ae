/**
 * For tests of queued log plugins: a TCP collector that accepts connections and never answers, so deliveries
 * to it hang until their timeout and the plugin's queue fills as it would behind a collector that is down.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface DeadCollector {
  readonly port: number;
  close(): void;
}

export async function deadCollector(): Promise<DeadCollector> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
