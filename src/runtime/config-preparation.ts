/**
 * Turns a `POST /config` (or SIGHUP) request into a validated configuration and its hash. A large document
 * is decoded, validated and its 201 body serialized on a worker thread, so that the supervisor's event loop
 * — the Admin and Status APIs, worker messages, health checks — keeps running while it is parsed (a 20 MB
 * document takes seconds); only the result comes back. Small ones are prepared in place, where a thread
 * would cost more than it saves.
 */
import { createHash } from 'node:crypto';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ConfigLoadRequest } from '../admin/context.ts';
import { NO_CONFIGURATION, OFF_LOOP_BODY_BYTES, decodeJsonConfigBody, entitiesById, truthy } from '../admin/config-endpoint.ts';
import { loadDeclarative, type DeclarativeError, type FlatConfig } from '../declarative/index.ts';
import { registerPlugins, routerFlavorInUse, useRouterFlavor, type RoutesSchemaFlavor } from '../entities/index.ts';
import { enabledPlugins, pluginRegistry } from '../plugins/index.ts';
import type { PluginSchemaRegistry } from '../schema/index.ts';

/** What a request comes to before it is published to the workers. */
export type PreparedConfig =
  | { status: 'valid'; config: FlatConfig; hash: string; /** The 201 body, when serialized off the event loop. */ body?: string }
  | { status: 'unchanged'; hash: string }
  | { status: 'invalid'; error: DeclarativeError }
  /** Not a document at all (a body that is not JSON, or holds no configuration): a 400 with this message. */
  | { status: 'refused'; message: string };

interface ThreadJob {
  text: string;
  jsonBody: { flatten: string | null; checkHash: string | null } | null;
  filename?: string;
  flattenErrors: boolean;
  checkHash: boolean;
  currentHash: string;
  plugins: string[];
  /** The node's router flavor: the thread validates routes with the same schema. */
  routerFlavor: RoutesSchemaFlavor;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** Validates `input`; `unchanged` when `checkHash` is set and the text hashes to `currentHash`. */
function prepare(
  input: string | Record<string, unknown>,
  options: { filename?: string; flattenErrors: boolean; checkHash: boolean; currentHash: string; plugins: PluginSchemaRegistry },
): PreparedConfig {
  const text = typeof input === 'string' ? input : null;
  const hash = md5(text ?? JSON.stringify(input));
  if (options.checkHash && text !== null && hash === options.currentHash) return { status: 'unchanged', hash };
  const result = loadDeclarative(input, { filename: options.filename, flattenErrors: options.flattenErrors, plugins: options.plugins });
  return result.ok ? { status: 'valid', config: result.config, hash } : { status: 'invalid', error: result.error };
}

/** The thread's side: decode, validate, serialize the answer. */
function runJob(job: ThreadJob): PreparedConfig {
  let input: string | Record<string, unknown> | null = job.text;
  let flattenErrors = job.flattenErrors;
  let checkHash = job.checkHash;
  if (job.jsonBody !== null) {
    let decoded: ReturnType<typeof decodeJsonConfigBody>;
    try {
      decoded = decodeJsonConfigBody(job.text, job.jsonBody.flatten, job.jsonBody.checkHash);
    } catch (err) {
      return { status: 'refused', message: (err as Error).message }; // a forbidden key
    }
    if (!decoded.ok) return { status: 'refused', message: decoded.message };
    input = decoded.input;
    flattenErrors = truthy(decoded.flatten);
    checkHash = decoded.checkHash === '1';
  }
  if (input === null || (typeof input === 'string' && input.trim() === '')) return { status: 'refused', message: NO_CONFIGURATION };
  registerPlugins(enabledPlugins(job.plugins));
  useRouterFlavor(job.routerFlavor);
  const prepared = prepare(input, { filename: job.filename, flattenErrors, checkHash, currentHash: job.currentHash, plugins: pluginRegistry(job.plugins) });
  if (prepared.status !== 'valid') return prepared;
  return { ...prepared, body: JSON.stringify(entitiesById(prepared.config)) };
}

if (!isMainThread && (workerData as { tollgateConfigJob?: ThreadJob } | null)?.tollgateConfigJob !== undefined) {
  parentPort!.postMessage(runJob((workerData as { tollgateConfigJob: ThreadJob }).tollgateConfigJob));
}

function onThread(job: ThreadJob): Promise<PreparedConfig> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL(import.meta.url), {
      workerData: { tollgateConfigJob: job },
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    let settled = false;
    thread.once('message', (result: PreparedConfig) => {
      settled = true;
      resolve(result);
    });
    thread.once('error', (err) => {
      settled = true;
      reject(new Error(`the configuration could not be parsed: ${err.message}`));
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new Error(`the configuration parser stopped (exit code ${code})`));
    });
  });
}

/**
 * Prepares a load request: on a worker thread when its text is `OFF_LOOP_BODY_BYTES` or more (or it is a
 * JSON body still to decode), else in place.
 */
export function prepareConfig(
  request: ConfigLoadRequest,
  node: { currentHash: string; plugins: readonly string[]; registry: PluginSchemaRegistry },
): Promise<PreparedConfig> {
  const text = typeof request.input === 'string' ? request.input : null;
  if (text !== null && (request.jsonBody !== undefined || text.length >= OFF_LOOP_BODY_BYTES)) {
    return onThread({
      text,
      jsonBody: request.jsonBody ?? null,
      filename: request.filename,
      flattenErrors: request.flattenErrors,
      checkHash: request.checkHash,
      currentHash: node.currentHash,
      plugins: [...node.plugins],
      routerFlavor: routerFlavorInUse(),
    });
  }
  const options = { filename: request.filename, flattenErrors: request.flattenErrors, checkHash: request.checkHash, currentHash: node.currentHash, plugins: node.registry };
  return Promise.resolve(prepare(request.input, options));
}
