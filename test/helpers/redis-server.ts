import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { waitUntil } from './tollgate.ts';

/**
 * Private redis-server processes for tests that stop, restart or arrange Redis (Sentinel, Cluster), on ports
 * from ports.ts, so the shared server on 6379 is never touched. Each runs in a directory of its own, without
 * persistence, and is killed by `stop()`.
 */
export interface TestRedis {
  readonly port: number;
  readonly dir: string;
  /** Stops the process (SIGKILL: an outage, not a clean shutdown); resolves when it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Starts `redis-server` with `args` on a free port and waits until it answers PING. */
export async function startRedis(extra: (port: number, dir: string) => string[] = () => []): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
  let proc: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const args = [...extra(port, dir), '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = started;
    // What it said, for the error when it exits instead of answering (a port taken, a bad option).
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    await waitUntil(async () => {
      if (started.exitCode !== null || started.signalCode !== null) throw new Error(`redis-server on ${port} exited (${started.exitCode ?? started.signalCode}): ${output}`);
      return ping(port);
    }, 20_000, `redis-server on ${port}`);
  };
  const stop = async (): Promise<void> => {
    const p: ChildProcess | null = proc;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    dir,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}

/** A master and one Sentinel watching it as `name`. */
export async function startSentinel(name: string): Promise<{ master: TestRedis; sentinel: TestRedis; stop(): Promise<void> }> {
  const master = await startRedis();
  const sentinel = await startRedis((port, dir) => {
    // A Sentinel rewrites its configuration file, so it gets one of its own.
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, `port ${port}\nsentinel monitor ${name} 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds ${name} 60000\n`);
    return [file, '--sentinel'];
  });
  return {
    master,
    sentinel,
    async stop() {
      await Promise.all([sentinel.stop(), master.stop()]);
      rmSync(sentinel.dir, { recursive: true, force: true });
      rmSync(master.dir, { recursive: true, force: true });
    },
  };
}

/** Three masters joined into a Redis Cluster with `redis-cli --cluster create`, waited on until its state is ok. */
export async function startCluster(): Promise<{ nodes: TestRedis[]; stop(): Promise<void> }> {
  const nodes: TestRedis[] = [];
  for (let i = 0; i < 3; i++) {
    // The bus port is the node's port + 10000 unless given: that lands in the ephemeral range, where an
    // outgoing connection may hold it. A port from ports.ts instead.
    const bus = await freePort();
    nodes.push(await startRedis((port, dir) => ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000']));
  }
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  await waitUntil(
    async () => {
      for (const n of nodes) {
        const r = new Redis({ host: '127.0.0.1', port: n.port, maxRetriesPerRequest: 0 });
        try {
          if (!String(await r.cluster('INFO')).includes('cluster_state:ok')) return false;
        } finally {
          r.disconnect();
        }
      }
      return true;
    },
    30_000,
    'cluster_state:ok on every node',
  );
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    },
  };
}
