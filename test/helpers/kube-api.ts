/**
 * A stand-in for the Kubernetes API server: no real one can run in these tests. It serves the controller's
 * kinds in the API server's wire format: List objects carrying metadata.resourceVersion (items without kind and
 * apiVersion, as the real server sends them), watches as chunked streams of `{"type","object"}` lines resumed
 * from a resourceVersion (410 Gone once that version is compacted away), Events, the status subresource of
 * every watched kind (JSON merge patch; metadata.generation counts applies) and coordination.k8s.io Leases with
 * optimistic concurrency (409 on a stale resourceVersion).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { WATCHED_KINDS, apiVersionOf, type ResourceKind } from '../../src/k8s/controller/resources.ts';
import { freePort } from './ports.ts';

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string } };

interface Change {
  rv: number;
  plural: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A kubeconfig whose current context is the stand-in, with the token it accepts. */
export function writeKubeconfig(path: string, server: string): void {
  writeFileSync(path, `apiVersion: v1
kind: Config
current-context: test
contexts:
- name: test
  context: { cluster: stand-in, user: controller }
clusters:
- name: stand-in
  cluster: { server: "${server}" }
users:
- name: controller
  user: { token: ${STAND_IN_TOKEN} }
`);
}

export const STAND_IN_TOKEN = 'test-token';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class KubeApiStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly events: Obj[] = [];
  readonly leases = new Map<string, Obj>();
  /** Every status subresource write, in order. */
  readonly statusWrites: { kind: string; namespace: string; name: string }[] = [];
  /** Pods served read-only at /api/v1/[namespaces/NS/]pods, filtered by `labelSelector` (equality terms). */
  readonly pods: Obj[] = [];
  #rv = 100;
  /** Changes at or below this version are forgotten: watches from older versions get 410. */
  #compactedTo = 0;
  readonly #objects = new Map<string, Map<string, Obj>>();
  readonly #history: Change[] = [];
  readonly #watchers = new Set<{ plural: string; res: ServerResponse }>();
  #server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  /** Creates or replaces an object, as `kubectl apply` would; returns it with its new resourceVersion. */
  apply(object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown }): Obj {
    const kind = this.#kind(object.kind);
    const store = this.#store(kind.plural);
    const key = `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const existing = store.get(key);
    const obj = structuredClone(object) as Obj;
    obj.metadata.uid = (existing?.metadata.uid as string | undefined) ?? randomUUID();
    obj.metadata.resourceVersion = String(++this.#rv);
    // Every apply counts as a spec change here: the real server bumps generation only for those.
    obj.metadata.generation = ((existing?.metadata.generation as number | undefined) ?? 0) + 1;
    if (existing !== undefined && obj.status === undefined && existing.status !== undefined) obj.status = existing.status;
    store.set(key, obj);
    this.#emit({ rv: this.#rv, plural: kind.plural, type: existing === undefined ? 'ADDED' : 'MODIFIED', object: obj });
    return obj;
  }

  remove(kindName: string, namespace: string | undefined, name: string): void {
    const kind = this.#kind(kindName);
    const store = this.#store(kind.plural);
    const key = `${namespace ?? ''}/${name}`;
    const existing = store.get(key);
    if (existing === undefined) throw new Error(`no ${kindName} ${key}`);
    store.delete(key);
    const gone = structuredClone(existing);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit({ rv: this.#rv, plural: kind.plural, type: 'DELETED', object: gone });
  }

  get(kindName: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.#store(this.#kind(kindName).plural).get(`${namespace ?? ''}/${name}`);
  }

  /**
   * Forgets the history (as etcd compaction does) and closes every watch: clients resuming from the version
   * they had get 410 Gone and must list again.
   */
  compactAndDropWatches(how: 'close' | 'error-event' = 'close'): void {
    this.#compactedTo = this.#rv;
    this.#history.length = 0;
    for (const w of this.#watchers) {
      // The API server's other way of saying it: an ERROR event carrying a 410 Status, then the end of the stream.
      if (how === 'error-event') w.res.write(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })}\n`);
      w.res.end();
    }
    this.#watchers.clear();
  }

  /** The object a `…/status` path names (namespace '' for cluster-scoped kinds), or null. */
  #statusTarget(path: string): { kind: ResourceKind; namespace: string; name: string } | null {
    const m = /^\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)\/([^/]+)\/status$/.exec(path);
    if (m === null) return null;
    const group = m[2] ?? '';
    const version = m[1] ?? m[3];
    const kind = WATCHED_KINDS.find((k) => k.group === group && k.version === version && k.plural === m[5]);
    return kind === undefined ? null : { kind, namespace: m[4] ?? '', name: m[6] };
  }

  #kind(name: string): ResourceKind {
    const k = WATCHED_KINDS.find((r) => r.kind === name);
    if (k === undefined) throw new Error(`unknown kind ${name}`);
    return k;
  }

  #store(plural: string): Map<string, Obj> {
    let s = this.#objects.get(plural);
    if (s === undefined) this.#objects.set(plural, (s = new Map()));
    return s;
  }

  #emit(change: Change): void {
    this.#history.push(change);
    for (const w of this.#watchers) if (w.plural === change.plural) w.res.write(`${JSON.stringify({ type: change.type, object: change.object })}\n`);
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text === '' ? null : JSON.parse(text);
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname + url.search, body });
    if (req.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) return this.#json(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const p = url.pathname;

    let m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p);
    if (m !== null && method === 'POST') {
      const event = body as Obj;
      event.metadata = { ...event.metadata, name: `${String(event.metadata.generateName ?? 'event.')}${randomUUID().slice(0, 8)}`, namespace: m[1] };
      this.events.push(event);
      return this.#json(res, 201, event);
    }
    m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(p);
    if (m !== null) return this.#lease(res, method, m[1], m[2], body as Obj | null);
    const statusOf = this.#statusTarget(p);
    if (statusOf !== null && method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return this.#json(res, 415, status(415, 'UnsupportedMediaType', 'unsupported patch type'));
      const key = `${statusOf.namespace}/${statusOf.name}`;
      const store = this.#store(statusOf.kind.plural);
      const existing = store.get(key);
      if (existing === undefined) return this.#json(res, 404, status(404, 'NotFound', `${statusOf.kind.plural} "${statusOf.name}" not found`));
      const next = structuredClone(existing);
      // The status subresource ignores everything but status.
      const patched = mergePatch({ status: existing.status ?? null }, { status: (body as { status?: unknown } | null)?.status ?? null }) as { status?: unknown };
      if (patched.status === undefined) delete next.status;
      else next.status = patched.status;
      next.metadata.resourceVersion = String(++this.#rv);
      store.set(key, next);
      this.statusWrites.push({ kind: statusOf.kind.kind, namespace: statusOf.namespace, name: statusOf.name });
      this.#emit({ rv: this.#rv, plural: statusOf.kind.plural, type: 'MODIFIED', object: next });
      return this.#json(res, 200, next);
    }
    m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/.exec(p);
    if (m !== null && method === 'GET') {
      const terms = (url.searchParams.get('labelSelector') ?? '').split(',').filter((t) => t !== '').map((t) => t.split('='));
      const items = this.pods.filter((pod) => (m![1] === undefined || pod.metadata.namespace === m![1])
        && terms.every(([k, v]) => (pod.metadata.labels as Record<string, string> | undefined)?.[k] === v));
      return this.#json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv) }, items });
    }
    if (method === 'GET') {
      const kind = WATCHED_KINDS.find((k) => p === (k.group === '' ? `/api/${k.version}/${k.plural}` : `/apis/${k.group}/${k.version}/${k.plural}`));
      if (kind === undefined) return this.#json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') return this.#watch(res, kind, url.searchParams.get('resourceVersion') ?? '');
      const items = [...this.#store(kind.plural).values()].map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      return this.#json(res, 200, { kind: `${kind.kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(this.#rv) }, items });
    }
    this.#json(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }

  #watch(res: ServerResponse, kind: ResourceKind, from: string): void {
    const since = Number(from);
    if (from !== '' && (!Number.isFinite(since) || since < this.#compactedTo)) {
      return this.#json(res, 410, status(410, 'Expired', `too old resource version: ${from} (${this.#compactedTo})`));
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    for (const c of this.#history) if (c.plural === kind.plural && c.rv > since) res.write(`${JSON.stringify({ type: c.type, object: c.object })}\n`);
    const watcher = { plural: kind.plural, res };
    this.#watchers.add(watcher);
    res.on('close', () => this.#watchers.delete(watcher));
  }

  #lease(res: ServerResponse, method: string, namespace: string, name: string | undefined, body: Obj | null): void {
    if (method === 'POST' && name === undefined && body !== null) {
      const key = `${namespace}/${body.metadata.name}`;
      if (this.leases.has(key)) return this.#json(res, 409, status(409, 'AlreadyExists', `leases "${body.metadata.name}" already exists`));
      const lease = { ...body, metadata: { ...body.metadata, namespace, resourceVersion: String(++this.#rv) } } as Obj;
      this.leases.set(key, lease);
      return this.#json(res, 201, lease);
    }
    const key = `${namespace}/${name}`;
    const existing = this.leases.get(key);
    if (existing === undefined) return this.#json(res, 404, status(404, 'NotFound', `leases "${name}" not found`));
    if (method === 'GET') return this.#json(res, 200, existing);
    if (method === 'PUT' && body !== null) {
      if (body.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return this.#json(res, 409, status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'));
      }
      const lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.#rv) } } as Obj;
      this.leases.set(key, lease);
      return this.#json(res, 200, lease);
    }
    this.#json(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }
}

/** The `kong` IngressClass and a Service `echo` (port 80) whose EndpointSlice points at 127.0.0.1:`port`. */
export function addEchoBackend(kube: KubeApiStandIn, namespace: string, port: number): void {
  kube.apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'kong' }, spec: { controller: 'ingress-controllers.konghq.com/kong' } });
  kube.apply({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace },
    spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  kube.apply({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'echo-abc', namespace, labels: { 'kubernetes.io/service-name': 'echo' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  });
}

/** An Ingress of class `kong` sending `path` (Prefix, not stripped) to the Service `echo`. */
export function echoIngress(namespace: string, name: string, path: string, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: { name, namespace, annotations: { 'konghq.com/strip-path': 'false', ...annotations } },
    spec: {
      ingressClassName: 'kong',
      rules: [{ http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: 'echo', port: { number: 80 } } } }] } }],
    },
  };
}
