/**
 * Finds the external programs the benchmark drives (wrk, nginx, taskset) and installs wrk and nginx from
 * Debian's packages when they are missing and the harness runs as root.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runToCompletion } from './processes.ts';

/** Absolute paths of the tools; `taskset` is optional (without it nothing is pinned). */
export interface Tools {
  wrk: string;
  nginx: string;
  taskset?: string;
}

/** The command a person should run to get the tools. */
export const INSTALL_COMMAND = 'apt-get update && apt-get install -y wrk nginx';

/** Looks a program up on PATH plus the sbin directories (nginx lives in /usr/sbin, often not on a user's PATH). */
export function findExecutable(name: string, pathValue = process.env.PATH ?? ''): string | undefined {
  const dirs = [...pathValue.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function locate(): Partial<Tools> {
  return { wrk: findExecutable('wrk'), nginx: findExecutable('nginx'), taskset: findExecutable('taskset') };
}

/**
 * Returns the tools, installing wrk/nginx with apt-get when missing and running as root (`apt-get update` only if
 * the first install attempt fails). Throws with the exact install command otherwise.
 */
export async function ensureTools(log: (line: string) => void): Promise<Tools> {
  let found = locate();
  const missing = (): string[] => (['wrk', 'nginx'] as const).filter((name) => !found[name]);
  if (missing().length > 0) {
    const isRoot = process.getuid?.() === 0;
    const aptGet = findExecutable('apt-get');
    if (!isRoot || !aptGet) {
      throw new Error(`missing ${missing().join(' and ')}; install with: ${isRoot ? '' : 'sudo sh -c "'}${INSTALL_COMMAND}${isRoot ? '' : '"'}`);
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): ReturnType<typeof runToCompletion> =>
      runToCompletion({ name: 'apt-get install', command: aptGet, args: ['install', '-y', '-q', 'wrk', 'nginx'], env }, 300_000);
    log(`bench: ${missing().join(' and ')} missing; running apt-get install -y wrk nginx`);
    let result = await install();
    if (result.code !== 0) {
      log('bench: install failed; running apt-get update once and retrying');
      await runToCompletion({ name: 'apt-get update', command: aptGet, args: ['update', '-q'], env }, 300_000);
      result = await install();
    }
    found = locate();
    if (missing().length > 0) {
      throw new Error(`could not install ${missing().join(' and ')} (apt-get said: ${result.stderr.trim().split('\n').slice(-3).join(' / ')}); run: ${INSTALL_COMMAND}`);
    }
  }
  return { wrk: found.wrk as string, nginx: found.nginx as string, taskset: found.taskset };
}

/** First line of `<tool> -v`-style output, for the report header. */
export async function toolVersion(command: string, args: readonly string[]): Promise<string> {
  try {
    const run = await runToCompletion({ name: command, command, args }, 5000);
    return `${run.stdout}${run.stderr}`.trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
