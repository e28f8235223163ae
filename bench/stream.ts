/**
 * The stream proxy against a direct connection, side by side in one run: a TCP echo upstream reached directly
 * and through `bin/tollgate` (one worker, a `stream_listen` entry, a tcp route by destination port). Reports the
 * mean time of a connect + 4-byte echo + close, sequentially, and the throughput of one connection echoing a
 * bulk transfer both ways.
 *
 *   node bench/stream.ts [--connections 2000] [--mebibytes 256]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '2000' }, mebibytes: { type: 'string', default: '256' } } });
const CONNECTIONS = Number(values.connections);
const BYTES = Number(values.mebibytes) * 1024 * 1024;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function roundTrip(port: number): Promise<void> {
  return new Promise((done, fail) => {
    const s = connect(port, '127.0.0.1', () => s.write('ping'));
    s.once('data', () => {
      s.end();
      done();
    });
    s.once('error', fail);
  });
}

async function meanRoundTripMs(port: number, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await roundTrip(port);
  return (performance.now() - t0) / n;
}

/** MB/s counting both directions. */
function bulkMBps(port: number, bytes: number): Promise<number> {
  return new Promise((done) => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let received = 0;
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1', () => {
      const pump = (): void => {
        while (sent < bytes) {
          sent += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    s.on('data', (c: Buffer) => {
      received += c.length;
      if (received >= bytes) {
        s.destroy();
        done((bytes * 2) / 1e6 / ((performance.now() - t0) / 1000));
      }
    });
  });
}

const echo = createServer((s) => s.pipe(s).on('error', () => {}));
await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
const upstream = (echo.address() as AddressInfo).port;
const [stream, status] = [await freePort(), await freePort()];
const prefix = mkdtempSync(join(tmpdir(), 'tollgate-bench-stream-'));
writeFileSync(join(prefix, 'tollgate.yml'), `_format_version: "3.0"\nservices:\n  - url: tcp://127.0.0.1:${upstream}\n    routes:\n      - protocols: [tcp]\n        destinations: [{ port: ${stream} }]\n`);
const node = spawn(resolve(import.meta.dirname, '..', 'bin', 'tollgate'), ['start'], {
  env: {
    ...process.env, TOLLGATE_PREFIX: prefix, TOLLGATE_DATABASE: 'off', TOLLGATE_DECLARATIVE_CONFIG: join(prefix, 'tollgate.yml'),
    TOLLGATE_STREAM_LISTEN: `127.0.0.1:${stream}`, TOLLGATE_PROXY_LISTEN: 'off', TOLLGATE_ADMIN_LISTEN: 'off',
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${status}`, TOLLGATE_ADMIN_GUI_LISTEN: 'off', TOLLGATE_WORKER_PROCESSES: '1',
  },
  stdio: 'ignore',
});
try {
  for (let ready = false; !ready; ) {
    ready = await fetch(`http://127.0.0.1:${status}/status/ready`).then((r) => r.status === 200, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  await meanRoundTripMs(upstream, 200);
  await meanRoundTripMs(stream, 200);
  const direct = await meanRoundTripMs(upstream, CONNECTIONS);
  const proxied = await meanRoundTripMs(stream, CONNECTIONS);
  console.log(`connect + echo + close, ${CONNECTIONS} in sequence: direct ${direct.toFixed(3)} ms, stream proxy ${proxied.toFixed(3)} ms`);
  const directBulk = await bulkMBps(upstream, BYTES);
  const proxiedBulk = await bulkMBps(stream, BYTES);
  console.log(`one connection echoing ${BYTES >> 20} MiB: direct ${directBulk.toFixed(0)} MB/s, stream proxy ${proxiedBulk.toFixed(0)} MB/s (both directions counted)`);
} finally {
  node.kill('SIGTERM');
  echo.close();
  await new Promise((r) => node.once('exit', r));
  rmSync(prefix, { recursive: true, force: true });
}
