/**
 * A traditional node whose PostgreSQL server restarts under it (issue 15): a fast restart, then a stop, a pause
 * and a start, while one loop keeps requesting the proxy and others keep PATCHing a service. The proxy must
 * answer every request, writes during the outage must fail with the Admin API's 500 naming the database (and
 * nothing else), `/status` must answer while the server is down, and writes must succeed again once it is back.
 *
 * The test runs its own PostgreSQL server (initdb in a temporary directory, on a free port), so the shared one
 * the other test files use is never restarted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';
import { freePort } from './helpers/ports.ts';
import { adminCall as call, keepRequesting } from './helpers/admin-call.ts';

const PG_LIB = '/usr/lib/postgresql';
const DATABASE = 'tollgate_restart';
/** What the Admin API answers when the database fails an operation (src/admin/server.ts). */
const DATABASE_FAILURE = /^An unexpected error occurred: the database did not complete the operation \(PostgreSQL database 'tollgate_restart' at 127\.0\.0\.1:\d+ \(user 'postgres'\) failed: /;

/** The directory of the highest installed PostgreSQL's server binaries, or null. */
function serverBinaries(): string | null {
  let versions: string[];
  try {
    versions = readdirSync(PG_LIB).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    return null;
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(PG_LIB, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

/** initdb refuses to run as root: as root the server runs as the `postgres` user, else as whoever runs the test. */
const AS_ROOT = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } | null {
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const BIN_DIR = serverBinaries();
const IDS = AS_ROOT ? postgresIds() : null;
const SKIP =
  BIN_DIR === null ? `no PostgreSQL server binaries (initdb, pg_ctl) under ${PG_LIB}; install Debian's postgresql package`
  : AS_ROOT && IDS === null ? 'running as root but there is no postgres user to run the PostgreSQL server as'
  : false;

/** Runs a PostgreSQL binary (as the postgres user when root) to completion. */
function runServerTool(tool: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  const command = join(BIN_DIR!, tool);
  const [file, argv] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve) => {
    // stdin ignored, and `pg_ctl start` sends the server's output to a log file, so nothing holds these pipes.
    const proc = spawn(file, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
    proc.on('error', (error) => resolve({ code: -1, output: `${output}${String(error)}` }));
    proc.on('exit', (code) => resolve({ code, output }));
  });
}

/** A private PostgreSQL server: trust authentication, 127.0.0.1 only, sockets in its own directory. */
class PrivateServer {
  readonly dir: string;
  readonly data: string;
  readonly log: string;
  readonly port: number;

  constructor(dir: string, port: number) {
    this.dir = dir;
    this.data = join(dir, 'data');
    this.log = join(dir, 'server.log');
    this.port = port;
  }

  static async create(): Promise<PrivateServer> {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-pg-restart-'));
    if (IDS !== null) chownSync(dir, IDS.uid, IDS.gid);
    const server = new PrivateServer(dir, await freePort());
    await server.#must('initdb', ['-D', server.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await server.#must('pg_ctl', ['start', ...server.#startArgs()]);
    return server;
  }

  #startArgs(): string[] {
    const options = `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.dir} -c fsync=off`;
    return ['-D', this.data, '-l', this.log, '-w', '-t', '60', '-o', options];
  }

  async #must(tool: string, args: string[]): Promise<void> {
    const r = await runServerTool(tool, args, this.dir);
    if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited with ${r.code}:\n${r.output}\n${this.logText()}`);
  }

  logText(): string {
    try {
      return readFileSync(this.log, 'utf8');
    } catch {
      return '';
    }
  }

  restart(): Promise<void> {
    return this.#must('pg_ctl', ['restart', '-m', 'fast', ...this.#startArgs()]);
  }

  stop(): Promise<void> {
    return this.#must('pg_ctl', ['stop', '-D', this.data, '-m', 'fast', '-w', '-t', '60']);
  }

  start(): Promise<void> {
    return this.#must('pg_ctl', ['start', ...this.#startArgs()]);
  }

  /** Stops the server at once, whatever its state, and removes its directory. */
  destroy(): void {
    const command = join(BIN_DIR!, 'pg_ctl');
    const args = ['stop', '-D', this.data, '-m', 'immediate', '-w', '-t', '30'];
    spawnSync(AS_ROOT ? 'runuser' : command, AS_ROOT ? ['-u', 'postgres', '--', command, ...args] : args, { cwd: this.dir, stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }
}


async function statusOf(url: string): Promise<number> {
  const res = await request(url);
  await res.body.text();
  return res.statusCode;
}

/** Requests the proxy over and over until stopped; every answer must be the upstream's 200. */
function keepProxying(node: TollgateNode, path: string) {
  return keepRequesting(node.proxy, path);
}

/** PATCHes the service over and over from `loops` concurrent loops until stopped; records every answer. */
function keepWriting(node: TollgateNode, loops: number) {
  let running = true;
  const answers: { status: number; body: string }[] = [];
  const done = Promise.all(
    Array.from({ length: loops }, async (_, n) => {
      let i = 0;
      while (running) {
        const r = await call(node.admin, 'PATCH', '/services/s', { retries: (n * 1000 + i++) % 30000 });
        answers.push({ status: r.status, body: JSON.stringify(r.body) });
        // Refused connections fail at once: pace the loop so an outage does not flood the log.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }),
  );
  return {
    async stop() {
      running = false;
      await done;
      return answers;
    },
  };
}

function checkWriteAnswers(answers: { status: number; body: string }[], phase: string): number {
  let failed = 0;
  for (const a of answers) {
    if (a.status === 200) continue;
    assert.equal(a.status, 500, `${phase}: a write got ${a.status}: ${a.body}`);
    assert.match(String((JSON.parse(a.body) as { message?: unknown }).message), DATABASE_FAILURE, `${phase}: ${a.body}`);
    failed++;
  }
  return failed;
}

describe('a PostgreSQL node whose database server restarts', { skip: SKIP }, () => {
  let server: PrivateServer | undefined;
  let up: TestUpstream;
  let env: Record<string, string>;
  const stopOnExit = () => server?.destroy();
  before(async () => {
    // Should the test process die before `after`, the private server does not outlive it.
    process.once('exit', stopOnExit);
    server = await PrivateServer.create();
    const admin = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    env = {
      TOLLGATE_DATABASE: 'postgres',
      TOLLGATE_PG_HOST: '127.0.0.1',
      TOLLGATE_PG_PORT: String(server.port),
      TOLLGATE_PG_USER: 'postgres',
      TOLLGATE_PG_DATABASE: DATABASE,
      TOLLGATE_PG_TIMEOUT: '1000',
    };
    const boot = await runTollgate(['migrations', 'bootstrap'], env);
    assert.equal(boot.code, 0, boot.stderr);
    up = await startUpstream('pg-restart-up');
  });
  after(async () => {
    await up?.close();
    server?.destroy();
    server = undefined;
    process.removeListener('exit', stopOnExit);
  });

  test('a fast restart, then a stop, a pause and a start: the proxy serves throughout, writes fail with 500s naming the database, then recover', async () => {
    const node = await startTollgate({ env, workers: 2 });
    let proxying: ReturnType<typeof keepProxying> | undefined;
    let writing: ReturnType<typeof keepWriting> | undefined;
    try {
      assert.equal((await call(node.admin, 'POST', '/services', { name: 's', url: `http://127.0.0.1:${up.port}` })).status, 201);
      assert.equal((await call(node.admin, 'POST', '/services/s/routes', { name: 'r', paths: ['/r'] })).status, 201);
      await waitUntil(async () => (await statusOf(`${node.proxy}/r`)) === 200, 10_000, 'the route');
      proxying = keepProxying(node, '/r');

      // 1. `pg_ctl restart -m fast` under the write loops.
      writing = keepWriting(node, 3);
      await new Promise((r) => setTimeout(r, 300));
      await server!.restart();
      await waitUntil(async () => (await call(node.admin, 'PATCH', '/services/s', { retries: 1 })).status === 200, 30_000, 'a write after the restart');
      const restartAnswers = await writing.stop();
      writing = undefined;
      const restartFailed = checkWriteAnswers(restartAnswers, 'restart');
      assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output()}`);

      // 2. A stop, a pause, a start, under the write loops.
      writing = keepWriting(node, 3);
      await new Promise((r) => setTimeout(r, 300));
      await server!.stop();
      // While the server is down: a write fails with the Admin API's database failure, /status answers (saying
      // the database is unreachable) within a bounded time, and the node is alive.
      const down = await call(node.admin, 'PATCH', '/services/s', { retries: 2 });
      assert.equal(down.status, 500, JSON.stringify(down.body));
      assert.match(String(down.body?.message), DATABASE_FAILURE);
      const t0 = Date.now();
      const status = await call(node.status, 'GET', '/status');
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.deepEqual(status.body?.database, { reachable: false });
      // Generous: one read bounded by pg_timeout (1 s), on a noisy machine.
      assert.ok(Date.now() - t0 < 10_000, `/status took ${Date.now() - t0} ms`);
      assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output()}`);
      await new Promise((r) => setTimeout(r, 1500));
      await server!.start();
      await waitUntil(async () => (await call(node.admin, 'PATCH', '/services/s', { retries: 3 })).status === 200, 30_000, 'a write after the start');
      const stopAnswers = await writing.stop();
      writing = undefined;
      const stopFailed = checkWriteAnswers(stopAnswers, 'stop and start');
      // The loops ran through the whole stop (well over a second): some of their writes must have failed.
      assert.ok(stopFailed > 0, `no write failed while the server was stopped (${stopAnswers.length} writes)`);
      console.log(`# restart: ${restartAnswers.length} writes, ${restartFailed} failed; stop and start: ${stopAnswers.length} writes, ${stopFailed} failed`);

      // Back to normal: reads see the last write (made now that the write loops have stopped, so none comes
      // after it), /status says reachable, and a new route reaches the proxy (the node's watch works again).
      assert.equal((await call(node.admin, 'PATCH', '/services/s', { retries: 3 })).status, 200);
      assert.equal((await call(node.admin, 'GET', '/services/s')).body?.retries, 3);
      assert.deepEqual((await call(node.status, 'GET', '/status')).body?.database, { reachable: true });
      assert.equal((await call(node.admin, 'POST', '/services/s/routes', { name: 'after', paths: ['/after'] })).status, 201);
      await waitUntil(async () => (await statusOf(`${node.proxy}/after`)) === 200, 15_000, 'the route created after the restarts');

      const { served, failures } = await proxying.stop();
      proxying = undefined;
      assert.deepEqual(failures, [], 'the proxy answered every request');
      assert.ok(served > 0);
      assert.equal(node.proc.exitCode, null, `the node exited:\n${node.output()}`);
    } finally {
      await writing?.stop();
      await proxying?.stop();
      await node.stop();
    }
  });
});
