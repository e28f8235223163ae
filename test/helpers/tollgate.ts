import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './ports.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'tollgate');

export interface TollgateNode {
  proc: ChildProcess;
  prefix: string;
  proxyPort: number;
  adminPort: number;
  statusPort: number;
  proxy: string;
  admin: string;
  status: string;
  /** Everything the node printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** Declarative configuration text; written to a file and set as declarative_config. */
  config?: string;
  workers?: number;
  env?: Record<string, string>;
  /** More proxy listeners, appended to the helper's own (e.g. `127.0.0.1:PORT ssl`). */
  extraProxyListen?: string;
  /** Wait for /status/ready (default) or only for the status listener to answer. */
  waitFor?: 'ready' | 'listening';
  /** Run in this prefix (default: a new temporary one). */
  prefix?: string;
  /** Leave the prefix in place on stop (to start again from it). */
  keepPrefix?: boolean;
  /** Reuse these ports (to restart a node where it was). */
  ports?: { proxy: number; admin: number; status: number };
}

/** Starts `bin/tollgate start` as a real process on free loopback ports and waits until it answers. */
export async function startTollgate(options: StartOptions = {}): Promise<TollgateNode> {
  const prefix = options.prefix ?? mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  const [proxyPort, adminPort, statusPort] = options.ports !== undefined
    ? [options.ports.proxy, options.ports.admin, options.ports.status]
    : [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TOLLGATE_PREFIX: prefix,
    TOLLGATE_PROXY_LISTEN: `127.0.0.1:${proxyPort}${options.extraProxyListen ? `, ${options.extraProxyListen}` : ''}`,
    TOLLGATE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    TOLLGATE_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    // Kong Manager's listener has fixed default ports; nodes of parallel tests would race for them.
    TOLLGATE_ADMIN_GUI_LISTEN: 'off',
    TOLLGATE_WORKER_PROCESSES: String(options.workers ?? 1),
    TOLLGATE_LOG_LEVEL: 'notice',
    // Most tests run DB-less from a declarative file; database tests set their own.
    TOLLGATE_DATABASE: 'off',
  };
  if (options.config !== undefined) {
    const file = join(prefix, 'tollgate.yml');
    writeFileSync(file, options.config);
    env.TOLLGATE_DECLARATIVE_CONFIG = file;
  }
  Object.assign(env, options.env ?? {});
  const proc = spawn(BIN, ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  const node: TollgateNode = {
    proc,
    prefix,
    proxyPort,
    adminPort,
    statusPort,
    proxy: `http://127.0.0.1:${proxyPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    status: `http://127.0.0.1:${statusPort}`,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      if (options.keepPrefix !== true) rmSync(prefix, { recursive: true, force: true });
      return code;
    },
  };
  const want = options.waitFor ?? (options.config !== undefined ? 'ready' : 'listening');
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`tollgate exited with ${proc.exitCode} before it was ready:\n${out}`);
    try {
      const r = await fetch(`${node.status}/status/ready`);
      const body = (await r.json()) as { message: string };
      if (r.status === 200) break;
      // 'listening': every worker is up, whether or not a configuration is loaded yet.
      if (want === 'listening' && !/workers/.test(body.message)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`tollgate did not become ${want} within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The Status API answers from the supervisor; the proxy port opens when the workers are up.
  if (options.env?.TOLLGATE_PROXY_LISTEN !== 'off') await waitUntil(() => canConnect(proxyPort), 20_000, 'the proxy listener');
  return node;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
  });
}

/** Runs `bin/tollgate ARGS` to completion and returns its exit code and output. */
export function runTollgate(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const proc = spawn(BIN, args, { env: { ...(process.env as Record<string, string>), ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** Polls `fn` until it returns true or the time runs out. */
export async function waitUntil(fn: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
