/**
 * Kong's commands for a node and its settings that need no running proxy code: `check` (a settings file is
 * valid), `health` (the node in a prefix is running), `drain` (out of the load balancer's rotation), `prepare`
 * (the prefix exists) and `vault get` (what a reference resolves to).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ensurePrivateDir } from '../core/private-files.ts';
import { loadSettings } from '../config/index.ts';
import type { Settings } from '../config/settings-types.ts';
import type { ParsedArgs } from './args.ts';
import { isReference, parseReference } from '../core/vault-reference.ts';
import { VaultResolver, type VaultEntityFields } from '../vaults/resolver.ts';
import { openConfiguredStore } from '../runtime/database.ts';
import { readStatusListeners } from '../status/listeners-file.ts';
import { enabledVaultBackends } from '../core/vault-backends.ts';
import { loadNodePlugins } from '../plugins/external/node-plugins.ts';
import { registerPlugins } from '../entities/index.ts';
import { readDeclarativeFile, validateDeclarativeText } from './declarative-file.ts';

function fail(message: string): number {
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}

function settingsFrom(args: ParsedArgs): Settings {
  return loadSettings({ confPath: args.conf, prefix: args.prefix });
}

/** `tollgate check [CONF]`: loads the settings file (default: the usual places) and says whether it is valid. */
export function check(args: ParsedArgs): number {
  const file = args.positional[1] ?? args.conf;
  const settings = loadSettings({ confPath: file, prefix: args.prefix });
  process.stdout.write(`configuration at ${settings.confPath ?? 'the defaults and the environment'} is valid\n`);
  return 0;
}

/** The pid of the node running in the settings' prefix, or why there is none. */
export function runningPid(settings: Settings): number | string {
  const pidFile = join(settings.prefix, 'tollgate.pid');
  if (!existsSync(settings.prefix)) return `no such prefix: ${settings.prefix}`;
  if (!existsSync(pidFile)) return `Tollgate is not running at ${settings.prefix}`;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  // A file left by a node that was killed: its pid may now be this very command (a container's pid 1).
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || pid === process.ppid) {
    return `Tollgate is not running at ${settings.prefix} (stale pid file)`;
  }
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return `Tollgate is not running at ${settings.prefix} (pid ${pid} is gone)`;
  }
}

/** `tollgate health [-p PREFIX]`: 0 when the node of the prefix runs, 1 otherwise. */
export function health(args: ParsedArgs): number {
  const settings = settingsFrom(args);
  const pid = runningPid(settings);
  process.stdout.write(`tollgate....${typeof pid === 'number' ? 'running' : 'not running'}\n\n`);
  if (typeof pid === 'string') return fail(pid);
  process.stdout.write(`Tollgate is healthy at ${settings.prefix}\n`);
  return 0;
}

/**
 * `tollgate drain [-c CONF] [-p PREFIX]`: asks the node's first status listener to answer 503 on
 * `/status/ready` from now on (Kong's `kong drain`), so that load balancers take it out before it stops.
 */
export async function drain(args: ParsedArgs): Promise<number> {
  const settings = settingsFrom(args);
  // The node running in the prefix says where it listens; the settings given here only find the prefix.
  const running = typeof runningPid(settings) === 'number' ? readStatusListeners(settings.prefix) : null;
  const listener = running !== null ? running[0] : settings.status_listeners[0];
  if (listener === undefined) {
    // As Kong's `kong drain`: nothing to drain through is said on stdout, and is no failure of the command.
    process.stdout.write('No status listeners found in configuration.\n');
    return 0;
  }
  const host = listener.ip === '0.0.0.0' ? '127.0.0.1' : listener.ip === '::' ? '::1' : listener.ip;
  const url = `${listener.ssl ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listener.port}/status/ready`;
  const body = JSON.stringify({ status: 'draining' });
  const status = await new Promise<number | string>((resolveStatus) => {
    const send = listener.ssl ? httpsRequest : request;
    // The node's own certificate: the call stays on this machine, as Kong's does without verification.
    const req = send(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolveStatus(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolveStatus(err.message));
    req.end(body);
  });
  if (typeof status === 'string') return fail(`could not reach ${url}: ${status}`);
  if (status !== 204) return fail(`unexpected answer from ${url}: ${status}`);
  process.stdout.write("Tollgate's status successfully changed to 'draining'\n");
  return 0;
}

/** `tollgate prepare [-p PREFIX]`: makes the prefix (private to the user) without starting a node. */
export function prepare(args: ParsedArgs): number {
  const settings = settingsFrom(args);
  ensurePrivateDir(settings.prefix);
  ensurePrivateDir(join(settings.prefix, 'logs'));
  process.stdout.write(`prefix ready at ${resolve(settings.prefix)}\n`);
  return 0;
}

/**
 * `tollgate vault get REFERENCE`: prints what a reference resolves to — `{vault://env/name}`, or the short form
 * `env/name` — through the bundled backends or, on a node with a database, its vault entities' prefixes.
 */
export async function vaultGet(args: ParsedArgs): Promise<number> {
  if (args.positional[1] !== 'get') return fail(`unknown vault command '${args.positional[1] ?? ''}'; expected get`);
  const given = args.positional[2];
  if (given === undefined) return fail("the 'get' command needs a <reference> argument, e.g. tollgate vault get env/NAME");
  const reference = isReference(given) ? given : `{vault://${given}}`;
  const parsed = parseReference(reference);
  if (typeof parsed === 'string') return fail(parsed);
  const settings = settingsFrom(args);
  let vaults: VaultEntityFields[] = [];
  if (settings.database === 'off') {
    const declared = await declarativeVaults(settings);
    if (typeof declared === 'string') return fail(declared);
    vaults = declared;
  } else {
    const store = await openConfiguredStore(settings);
    try {
      vaults = ((await store.exportFile()).vaults ?? []) as unknown as VaultEntityFields[];
    } finally {
      await store.close();
    }
  }
  const resolver = new VaultResolver(process.env);
  // The node's `vaults` and `vault_env_prefix` apply here as on the node itself.
  resolver.setNodeDefaults({ enabled: enabledVaultBackends(settings.vaults), envPrefix: settings.vault_env_prefix });
  resolver.setVaults(vaults);
  const read = resolver.resolve(reference);
  if (!read.ok) return fail(read.error);
  process.stdout.write(`${read.value}\n`);
  return 0;
}

/**
 * A DB-less node's vault entities: those of its declarative configuration (`declarative_config` or
 * `declarative_config_string`), checked as the node checks them at start; a bad file is the error.
 */
async function declarativeVaults(settings: Settings): Promise<VaultEntityFields[] | string> {
  const file = settings.declarative_config;
  const text = settings.declarative_config_string;
  if (file === null && text === null) return [];
  let registry;
  try {
    const loaded = await loadNodePlugins(settings);
    registerPlugins(loaded.enabled);
    registry = loaded.registry;
  } catch (err) {
    return (err as Error).message;
  }
  const result = file !== null ? readDeclarativeFile(file, registry) : validateDeclarativeText(text as string, undefined, registry);
  if (!result.ok) return result.unreadable ? result.problem : `invalid declarative configuration in ${file ?? 'declarative_config_string'}:\n${result.problem}`;
  return (result.config.vaults ?? []) as unknown as VaultEntityFields[];
}
