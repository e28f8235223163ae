import { ensurePrivateDir } from '../core/private-files.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KONG_COMPATIBLE_VERSION, VERSION } from '../core/version.ts';
import { loadSettings, SettingsError } from '../config/index.ts';
import type { Settings } from '../config/settings-types.ts';
import type { FlatConfig } from '../declarative/index.ts';
import { readDeclarativeFile, validateDeclarativeText } from './declarative-file.ts';
import { enabledPlugins, pluginRegistry } from '../plugins/index.ts';
import { registerPlugins } from '../entities/index.ts';
import { loadNodePlugins, type NodePlugins } from '../plugins/external/node-plugins.ts';
import type { PluginSchemaRegistry } from '../schema/index.ts';
import { EXAMPLE_DECLARATIVE_CONFIG } from '../declarative/example.ts';
import { md5, Supervisor } from '../runtime/supervisor.ts';
import { parseArgs, type ParsedArgs } from './args.ts';
import { runMigrations } from './migrations.ts';
import { HYBRID_USAGE, runHybridCommand } from './hybrid.ts';
import { DataPlaneRole, persistentNodeId } from '../cluster/data-plane-role.ts';
import { ControlPlaneRole } from '../cluster/control-plane-role.ts';
import { dbExport, dbImport } from './db-config.ts';
import { nodeDatabaseKindOf } from '../runtime/plugin-database.ts';
import { setNodeDatabaseKind } from '../pdk/index.ts';
import { runK8sCommand } from './k8s.ts';
import { runIngressController } from './ingress-controller.ts';
import { startNodeIngressController } from '../k8s/controller/in-node.ts';
import { check, drain, health, prepare, runningPid, vaultGet } from './node-commands.ts';

const USAGE = `Usage: tollgate COMMAND [OPTIONS]

The API gateway in the shape of Kong Gateway 3.x.

Commands:
  start [-c CONF] [-p PREFIX]       start a node in the foreground (stops on SIGTERM/SIGINT; SIGHUP reloads)
  stop [-p PREFIX] [--wait S] [--timeout S]
                                    stop the node running in PREFIX gracefully (also: quit), after S
                                    seconds' wait; fail when it has not exited within --timeout (20 s)
  restart [-c CONF] [-p PREFIX]     stop the node running in PREFIX, then start in the foreground
  reload [-p PREFIX]                re-read the declarative configuration of the node running in PREFIX
  health [-p PREFIX]                exit status 0 when the node in PREFIX is running
  check [CONF]                      check a settings file: exit status 0 when valid, 1 with every problem
  drain [-c CONF] [-p PREFIX]       make /status/ready answer 503 while the node keeps serving
  prepare [-p PREFIX]               create the prefix directory without starting
  vault get REFERENCE               print what a vault reference ({vault://env/NAME} or env/NAME) resolves to
  config init [FILE]                write a commented example declarative file (default: ./tollgate.yml)
  config parse FILE [-c CONF]       check a declarative file; exit status 0 when valid, 1 with every error
  config db_import FILE             load a declarative file into the database, all or nothing
  config db_export [FILE]           write the database as a declarative file (stdout without FILE)
  hybrid gen_cert [--days N] [CERT KEY]
                                    make the certificate and key every node shares (cluster_mtls = shared)
  k8s translate -f FILE [-f FILE...] [--ingress-class NAME] [--format yaml|json]
                                    print the configuration Kong's Ingress Controller makes of Kubernetes manifests
  ingress-controller [OPTIONS]      watch Kubernetes and apply its Ingress/Gateway API resources to DB-less
                                    gateways (--help lists the options)
  migrations bootstrap|up|finish|list|reset [--yes]
                                    prepare or upgrade the database (sqlite or postgres)
  version [-a]                      print the version (-a: with the Kong version it speaks and its runtime)
  help                              print this help

Options:
  -c, --conf FILE                   node settings file (default: /etc/tollgate/tollgate.conf if present)
  -p, --prefix DIR                  working directory of the node (pid file, certificates, caches)

Every setting can also be given as an environment variable TOLLGATE_<KEY>, e.g. TOLLGATE_PROXY_LISTEN.
`;

function fail(message: string): number {
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}

function settingsFrom(args: ParsedArgs): Settings {
  return loadSettings({ confPath: args.conf, prefix: args.prefix });
}

/** The commands `tollgate` knows; anything else is `No such command`, as Kong's `kong` says. */
const COMMANDS = new Set([
  'start', 'stop', 'quit', 'restart', 'reload', 'health', 'check', 'drain', 'prepare', 'vault', 'config', 'hybrid',
  'migrations', 'k8s', 'ingress-controller', 'version', 'roar', 'help',
]);

/** `tollgate vault --help`: Kong's usage line for its `vault` command. */
const VAULT_USAGE = `Usage: tollgate vault COMMAND [OPTIONS]

Vault utilities for Tollgate.

Example usage:
 TEST=hello tollgate vault get env/test

The available commands are:
  get <reference>  Retrieves a value for <reference>

Options:
  -c, --conf FILE  node settings file
  -p, --prefix DIR working directory of the node
`;

export async function runCli(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const [command, sub] = args.positional;
  const wantsHelp = args.flags.has('help') || args.flags.has('h');
  if (command === undefined && !wantsHelp && !args.flags.has('version') && !args.flags.has('v')) {
    // Kong's bare `kong`: the usage goes to stderr and the exit status says nothing was done.
    process.stderr.write(USAGE);
    return 1;
  }
  if (command !== undefined && !COMMANDS.has(command)) return fail(`No such command: ${command}\n\n${USAGE}`);
  // `tollgate COMMAND --help` prints help and does nothing else: `restart --help` must not restart a node.
  // The k8s and ingress-controller commands print their own option lists.
  if (wantsHelp && command !== undefined && command !== 'help' && command !== 'k8s' && command !== 'ingress-controller') {
    process.stderr.write(command === 'vault' ? VAULT_USAGE : command === 'hybrid' ? HYBRID_USAGE : USAGE);
    return 1;
  }
  try {
    switch (command) {
      case 'start':
        return await start(args);
      case 'stop':
      case 'quit':
        return await signalNode(args, 'SIGTERM', true);
      case 'restart': {
        const stopped = await signalNode(args, 'SIGTERM', true);
        // Nothing running is no reason not to start, as Kong's restart.
        if (stopped !== 0) process.stderr.write('(no running node was stopped)\n');
        return await start(args);
      }
      case 'health':
        return health(args);
      case 'check':
        return check(args);
      case 'drain':
        return await drain(args);
      case 'prepare':
        return prepare(args);
      case 'vault':
        return await vaultGet(args);
      case 'reload':
        return await signalNode(args, 'SIGHUP', false);
      case 'config':
        if (sub === 'parse') return await configParse(args);
        if (sub === 'init') return configInit(args);
        if (sub === 'db_import') {
          const settings = settingsFrom(args);
          // What the nodes on this database can run: policy = cluster only on PostgreSQL.
          setNodeDatabaseKind(nodeDatabaseKindOf(settings));
          return await dbImport(settings, args.positional[2]);
        }
        if (sub === 'db_export') return await dbExport(settingsFrom(args), args.positional[2]);
        return fail(`unknown config command '${sub ?? ''}'; expected parse, init, db_import or db_export\n\n${USAGE}`);
      case 'hybrid':
        return runHybridCommand(args.positional.slice(1), { days: args.days, cwd: process.cwd() });
      case 'migrations':
        return await runMigrations(sub, settingsFrom(args), args.flags);
      case 'k8s':
        return await runK8sCommand(argv.slice(argv.indexOf('k8s') + 1));
      case 'ingress-controller':
        return await runIngressController(argv.slice(argv.indexOf('ingress-controller') + 1));
      case 'version':
        process.stdout.write(versionText(args.flags.has('a') || args.flags.has('all')));
        return 0;
      case 'roar':
        // Kong's `kong roar` prints its tagline; a harmless tradition worth keeping.
        process.stdout.write('Tollgate, Monolith destroyer.\n');
        return 0;
      case undefined:
        // `tollgate --help` or `tollgate --version` (a bare `tollgate` was answered above).
        process.stdout.write(wantsHelp ? USAGE : versionText(false));
        return 0;
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      default:
        return fail(`No such command: ${command}\n\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof SettingsError) return fail(err.message);
    throw err;
  }
}

/** Reads the initial configuration; a bad file stops the start with the file, the path in it and the reason. */
function initialConfig(settings: Settings, plugins: PluginSchemaRegistry): { config: FlatConfig; hash: string } | null | string {
  const file = settings.declarative_config;
  let result;
  if (file !== null) result = readDeclarativeFile(file, plugins);
  else if (settings.declarative_config_string !== null) result = validateDeclarativeText(settings.declarative_config_string, undefined, plugins);
  else return null;
  if (!result.ok) {
    if (result.unreadable) return `declarative_config: ${result.problem}`;
    return `invalid declarative configuration in ${file ?? 'declarative_config_string'}:\n${result.problem}`;
  }
  return { config: result.config, hash: md5(result.text) };
}

/** `tollgate version [-a]`: the version; with `-a/--all`, what it runs on and which Kong it speaks. */
function versionText(all: boolean): string {
  if (!all) return `Tollgate ${VERSION}\n`;
  return `Tollgate: ${VERSION}\nKong compatibility: ${KONG_COMPATIBLE_VERSION}\nNode.js: ${process.version}\nOpenSSL: ${process.versions.openssl}\n`;
}

async function start(args: ParsedArgs): Promise<number> {
  const settings = settingsFrom(args);
  // One node per prefix, as Kong: a second start would take over its pid file, caches and database file.
  if (typeof runningPid(settings) === 'number') return fail(`Tollgate is already running in ${settings.prefix}`);
  // Unknown names in the `plugins` setting, and external plugins that are missing or bad, stop the start
  // before anything listens. Workers load the same plugins from the same settings.
  let plugins: PluginSchemaRegistry;
  let loaded: NodePlugins;
  try {
    loaded = await loadNodePlugins(settings);
    registerPlugins(loaded.enabled);
    plugins = loaded.registry;
  } catch (err) {
    return fail((err as Error).message);
  }
  // Before the declarative file is validated: plugin options needing a database are refused without one.
  setNodeDatabaseKind(nodeDatabaseKindOf(settings));
  const fromFile = initialConfig(settings, plugins);
  if (typeof fromFile === 'string') return fail(fromFile);
  // The prefix holds the database, caches and keys: owner-only when this start creates it.
  ensurePrivateDir(settings.prefix);
  let node: Supervisor | null = null;
  try {
    if (settings.role === 'data_plane') {
      node = new Supervisor(settings, persistentNodeId(settings), loaded);
      const dataPlane = new DataPlaneRole(node);
      node.clustering = dataPlane;
      await node.start(dataPlane.initial(fromFile));
      dataPlane.start();
    } else if (settings.role === 'control_plane') {
      node = new Supervisor(settings, undefined, loaded);
      const controlPlane = new ControlPlaneRole(node);
      node.clustering = controlPlane;
      await node.start(null);
      await controlPlane.start();
    } else {
      node = new Supervisor(settings, undefined, loaded);
      await node.start(fromFile);
    }
  } catch (err) {
    if (node === null) return fail(`could not start: ${(err as Error).message}`);
    await node.stop();
    return fail(`could not start: ${(err as Error).message}`);
  }
  const running = node;
  if (settings.ingress_controller) {
    try {
      startNodeIngressController(running, plugins, (level, message) => running.log[level === 'info' ? 'notice' : level](`ingress-controller: ${message}`));
    } catch (err) {
      await running.stop();
      return fail(`could not start the ingress controller: ${(err as Error).message}`);
    }
  }
  return new Promise<number>((resolveExit) => {
    const stop = () => {
      void running.stop().then(() => resolveExit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.once('SIGQUIT', stop);
    process.on('SIGHUP', () => void running.reloadFromFile());
  });
}

/** Seconds given to `--timeout`/`--wait`, the default when not given, or null when it is not a number. */
function secondsOption(text: string | undefined, fallback: number): number | null {
  if (text === undefined) return fallback;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n >= 0 ? n : null;
}

/** How long stop and quit wait for the node to exit, unless `--timeout` says otherwise. */
const STOP_TIMEOUT_S = 20;

async function signalNode(args: ParsedArgs, signal: NodeJS.Signals, wait: boolean): Promise<number> {
  const timeoutS = secondsOption(args.timeout, STOP_TIMEOUT_S);
  const waitS = secondsOption(args.wait, 0);
  if (timeoutS === null) return fail(`--timeout takes a number of seconds, not '${args.timeout}'`);
  if (waitS === null) return fail(`--wait takes a number of seconds, not '${args.wait}'`);
  const settings = settingsFrom(args);
  const pidFile = join(settings.prefix, 'tollgate.pid');
  if (!existsSync(settings.prefix)) return fail(`no such prefix: ${resolve(settings.prefix)}`);
  if (!existsSync(pidFile)) return fail(`no running Tollgate found in ${settings.prefix} (no ${pidFile})`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  // Kong's `quit --wait N`: time for a load balancer to notice a drained node before it stops.
  if (waitS > 0) await new Promise((r) => setTimeout(r, waitS * 1000));
  try {
    process.kill(pid, signal);
  } catch (err) {
    return fail(`could not signal Tollgate (pid ${pid}): ${(err as Error).message}`);
  }
  if (!wait) {
    process.stdout.write(`Tollgate (pid ${pid}) reloading\n`);
    return 0;
  }
  return new Promise((resolveExit) => {
    const deadline = Date.now() + timeoutS * 1000;
    const poll = setInterval(() => {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (!alive || Date.now() > deadline) {
        clearInterval(poll);
        if (alive) resolveExit(fail(`Tollgate (pid ${pid}) did not stop within ${timeoutS} s (give it longer with --timeout)`));
        else {
          process.stdout.write('Tollgate stopped\n');
          resolveExit(0);
        }
      }
    }, 100);
  });
}

async function configParse(args: ParsedArgs): Promise<number> {
  const file = args.positional[2];
  if (file === undefined) return fail('config parse needs a file: tollgate config parse FILE');
  // Plugin entities are checked against every bundled plugin, plus the external plugins the node's settings
  // enable (`plugins`, `plugin_paths`): a missing or bad one fails the parse.
  let plugins: PluginSchemaRegistry;
  try {
    const settings = settingsFrom(args);
    const external = (await loadNodePlugins({ ...settings, plugins: ['bundled', ...settings.plugins.filter((p) => p !== 'off')] })).external;
    const names = ['bundled', ...external.map((p) => p.schema.name)];
    registerPlugins(enabledPlugins(names, external));
    plugins = pluginRegistry(names, external);
  } catch (err) {
    return fail((err as Error).message);
  }
  const result = readDeclarativeFile(file, plugins);
  if (!result.ok) {
    if (result.unreadable) return fail(result.problem);
    process.stderr.write(`Error: Failed parsing:\n${result.problem}\n`);
    return 1;
  }
  process.stdout.write('parse successful\n');
  return 0;
}

function configInit(args: ParsedArgs): number {
  const file = resolve(args.positional[2] ?? 'tollgate.yml');
  if (existsSync(file)) return fail(`${file} already exists.\nWill not overwrite it.`);
  writeFileSync(file, EXAMPLE_DECLARATIVE_CONFIG);
  process.stdout.write(`${file} written\n`);
  return 0;
}
