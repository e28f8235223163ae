/**
 * The little of the Kubernetes API the controller needs, over node:http(s): JSON requests and watch streams.
 * Connection details come from the pod's service account (in cluster) or from a kubeconfig file.
 */
import { readFileSync, existsSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';

export interface KubeConnection {
  server: URL;
  token?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own connection; null outside a cluster. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, 'token'))) return null;
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  return {
    server,
    token: readFileSync(join(dir, 'token'), 'utf8').trim(),
    ca: existsSync(join(dir, 'ca.crt')) ? readFileSync(join(dir, 'ca.crt')) : undefined,
  };
}

/** `inner` of the entry called `name` in a kubeconfig list (`clusters`, `contexts`, `users`). */
function pick(list: unknown, name: string, inner: string): Record<string, unknown> | null {
  if (!Array.isArray(list)) return null;
  const hit = (list as unknown[]).find((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && (e as { name?: unknown }).name === name);
  const value = hit?.[inner];
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
}

function fileOrData(base: string, entry: Record<string, unknown>, fileKey: string, dataKey: string): Buffer | undefined {
  const data = entry[dataKey];
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  const file = entry[fileKey];
  if (typeof file === 'string') return readFileSync(isAbsolute(file) ? file : join(base, file));
  return undefined;
}

/** The current context of a kubeconfig file (token or client certificate users; exec plugins are not run). */
export function kubeconfigConnection(path: string): KubeConnection {
  const doc = load(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== 'object') throw new Error(`${path}: not a kubeconfig`);
  const contextName = doc['current-context'];
  if (typeof contextName !== 'string') throw new Error(`${path}: no current-context`);
  const context = pick(doc.contexts, contextName, 'context');
  if (context === null) throw new Error(`${path}: context '${contextName}' not found`);
  const cluster = pick(doc.clusters, String(context.cluster), 'cluster');
  if (cluster === null || typeof cluster.server !== 'string') throw new Error(`${path}: cluster '${String(context.cluster)}' has no server`);
  const user = pick(doc.users, String(context.user), 'user') ?? {};
  const base = dirname(path);
  let token = typeof user.token === 'string' ? user.token : undefined;
  if (token === undefined && typeof user.tokenFile === 'string') token = readFileSync(user.tokenFile, 'utf8').trim();
  return {
    server: new URL(cluster.server),
    token,
    ca: fileOrData(base, cluster, 'certificate-authority', 'certificate-authority-data'),
    cert: fileOrData(base, user, 'client-certificate', 'client-certificate-data'),
    key: fileOrData(base, user, 'client-key', 'client-key-data'),
    insecure: cluster['insecure-skip-tls-verify'] === true,
  };
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, method: string, path: string) {
    const message = body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message : `HTTP ${status}`;
    super(`${method} ${path}: ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.body = body;
  }
}

export class KubeClient {
  readonly connection: KubeConnection;

  constructor(connection: KubeConnection) {
    this.connection = connection;
  }

  #open(method: string, path: string, headers: Record<string, string>, body: string | null, signal?: AbortSignal): Promise<IncomingMessage> {
    const c = this.connection;
    const url = new URL(path, c.server);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const allHeaders: Record<string, string> = { accept: 'application/json', ...headers };
    // The token is sent as a header only: never logged, never part of an error message.
    if (c.token !== undefined) allHeaders.authorization = `Bearer ${c.token}`;
    if (body !== null) allHeaders['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method, headers: allHeaders, signal,
        ...(url.protocol === 'https:' ? { ca: c.ca, cert: c.cert, key: c.key, rejectUnauthorized: c.insecure !== true } : {}),
      }, resolve);
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }

  /** One JSON request; non-2xx answers throw KubeApiError with the API's Status body. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const text = body === undefined ? null : JSON.stringify(body);
    const res = await this.#open(method, path, text === null ? {} : { 'content-type': contentType }, text);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = raw;
    try {
      parsed = raw === '' ? null : JSON.parse(raw);
    } catch { /* not JSON: kept as text */ }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw new KubeApiError(status, parsed, method, path);
    return parsed as T;
  }

  /**
   * A watch: calls `onEvent` for every line of the chunked stream until it ends (resolves) or fails (rejects;
   * a non-2xx start throws KubeApiError, e.g. 410 for a resourceVersion too old).
   */
  async watch(path: string, onEvent: (event: { type: string; object: Record<string, unknown> }) => void, signal: AbortSignal): Promise<void> {
    const res = await this.#open('GET', path, {}, null, signal);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      let body: unknown = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch { /* keep null */ }
      throw new KubeApiError(status, body, 'GET', path);
    }
    let pending = '';
    for await (const chunk of res) {
      pending += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') onEvent(JSON.parse(line) as { type: string; object: Record<string, unknown> });
      }
    }
  }
}
