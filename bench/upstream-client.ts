/**
 * CPU per request of Tollgate's upstream client (`src/balancer/upstream-pool.ts`) against undici's `Pool`,
 * the client the minimal Node proxy uses, side by side in one run. Each sends the same GET with Kong's nine
 * proxy headers, 64 in flight, to the same upstream (a child process answering `200 ok` on a raw TCP
 * socket, so that the upstream costs little and is the same for both), and reports the client process's
 * user and system CPU per request, median over rounds.
 *
 *   node bench/upstream-client.ts [--requests 200000] [--rounds 5]
 *
 * On Linux each client is pinned to the last CPU and the upstream to the first one (taskset).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { UpstreamPool, type UpstreamController, type UpstreamHandler } from '../src/balancer/upstream-pool.ts';

const HEADERS = [
  'host', '127.0.0.1', 'X-Real-IP', '127.0.0.1', 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Proto', 'http',
  'X-Forwarded-Host', '127.0.0.1', 'X-Forwarded-Port', '8000', 'X-Forwarded-Path', '/', 'Via', '1.1 tollgate',
  'X-Tollgate-Request-Id', '0123456789abcdef0123456789abcdef',
];
const IN_FLIGHT = 64;
const WARMUP = 20_000;

type Client = 'tollgate' | 'undici';

/** Runs in a child process: one measurement of one client; prints JSON. */
async function measure(client: Client, port: number, requests: number): Promise<void> {
  let done = 0;
  let started = 0;
  let cpuAtWarmup: NodeJS.CpuUsage | null = null;
  let timeAtWarmup = 0n;
  const finished = new Promise<void>((resolve, reject) => {
    const complete = (): void => {
      done++;
      if (done === WARMUP) {
        cpuAtWarmup = process.cpuUsage();
        timeAtWarmup = process.hrtime.bigint();
      }
      if (done === requests) resolve();
      else next();
    };
    const tollgate = new UpstreamPool({
      host: '127.0.0.1', port, tls: false, servername: null, rejectUnauthorized: false, connectTimeout: 5000,
      maxIdle: 1024, idleTimeout: 60_000, maxRequests: 0,
    });
    const undici = new Pool(`http://127.0.0.1:${port}`, { connections: 1024, pipelining: 1 });
    class TollgateHandler implements UpstreamHandler {
      onRequestStart(): void {}
      onResponseStart(): void {}
      onResponseData(): void {}
      onResponseEnd(): void {
        complete();
      }
      onResponseError(_c: UpstreamController, error: Error): void {
        reject(error);
      }
    }
    class UndiciHandler implements Dispatcher.DispatchHandler {
      onRequestStart(): void {}
      onResponseStart(): void {}
      onResponseData(): void {}
      onResponseEnd(): void {
        complete();
      }
      onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
        reject(error);
      }
    }
    const next = (): void => {
      if (started >= requests) return;
      started++;
      if (client === 'tollgate') {
        tollgate.dispatch({ method: 'GET', path: '/', headers: HEADERS.slice(), body: null, trusted: true, headersTimeout: 0, bodyTimeout: 60_000 }, new TollgateHandler());
      } else {
        undici.dispatch({ method: 'GET', path: '/', headers: HEADERS.slice(), body: null }, new UndiciHandler());
      }
    };
    for (let i = 0; i < IN_FLIGHT; i++) next();
  });
  await finished;
  const cpu = process.cpuUsage(cpuAtWarmup!);
  const seconds = Number(process.hrtime.bigint() - timeAtWarmup) / 1e9;
  const n = requests - WARMUP;
  process.stdout.write(`${JSON.stringify({ client, userUs: cpu.user / n, systemUs: cpu.system / n, rps: n / seconds })}\n`);
  process.exit(0);
}

/** Runs in a child process: the upstream, answering every request head with a fixed response. */
async function serve(): Promise<void> {
  const response = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let tail = '';
    socket.on('data', (data) => {
      const text = tail + data.toString('latin1');
      let from = 0;
      let end: number;
      while ((end = text.indexOf('\r\n\r\n', from)) !== -1) {
        socket.write(response);
        from = end + 4;
      }
      tail = text.slice(from);
    });
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

function pinned(cpu: number): string[] {
  if (process.platform !== 'linux') return [];
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return ['taskset', '-c', String(cpu)];
  } catch {
    return [];
  }
}

function run(args: string[], cpu: number): ChildProcess {
  const prefix = pinned(cpu);
  const command = [...prefix, process.execPath, fileURLToPath(import.meta.url), ...args];
  return spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before answering`)));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '5' },
      'child-measure': { type: 'string' },
      'child-serve': { type: 'boolean' },
      port: { type: 'string' },
    },
  });
  if (values['child-serve']) return serve();
  const requests = Number(values.requests);
  if (values['child-measure']) return measure(values['child-measure'] as Client, Number(values.port), requests);
  const rounds = Number(values.rounds);
  const last = cpus().length - 1;
  const upstream = run(['--child-serve'], 0);
  try {
    const port = await firstLine(upstream);
    const results: Record<Client, { userUs: number; systemUs: number; rps: number }[]> = { tollgate: [], undici: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so that neither always meets the same minute of this machine.
      const order: Client[] = round % 2 === 0 ? ['tollgate', 'undici'] : ['undici', 'tollgate'];
      for (const client of order) {
        const line = await firstLine(run(['--child-measure', client, '--port', port, '--requests', String(requests)], last));
        const r = JSON.parse(line) as { userUs: number; systemUs: number; rps: number };
        results[client].push(r);
        process.stderr.write(`round ${round + 1} ${client.padEnd(8)} user ${r.userUs.toFixed(2)} µs/req, system ${r.systemUs.toFixed(2)} µs/req, ${Math.round(r.rps)} req/s\n`);
      }
    }
    const row = (c: Client) => {
      const rs = results[c];
      return { user: median(rs.map((r) => r.userUs)), system: median(rs.map((r) => r.systemUs)), total: median(rs.map((r) => r.userUs + r.systemUs)), rps: median(rs.map((r) => r.rps)) };
    };
    const t = row('tollgate');
    const u = row('undici');
    console.log(`| client | user µs/req | system µs/req | total µs/req | req/s |`);
    console.log(`| --- | ---: | ---: | ---: | ---: |`);
    console.log(`| tollgate (src/balancer/upstream-pool.ts) | ${t.user.toFixed(2)} | ${t.system.toFixed(2)} | ${t.total.toFixed(2)} | ${Math.round(t.rps).toLocaleString('en-US')} |`);
    console.log(`| undici Pool | ${u.user.toFixed(2)} | ${u.system.toFixed(2)} | ${u.total.toFixed(2)} | ${Math.round(u.rps).toLocaleString('en-US')} |`);
    console.log(`\ntollgate / undici: user CPU ${(t.user / u.user).toFixed(2)}×, total CPU ${(t.total / u.total).toFixed(2)}×, req/s ${(t.rps / u.rps).toFixed(2)}× (medians of ${rounds} rounds of ${requests.toLocaleString('en-US')} requests)`);
  } finally {
    upstream.kill();
  }
}

await main();
