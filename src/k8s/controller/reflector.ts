/**
 * Keeps a local copy of one kind: list, then watch from the list's resourceVersion; a 410 Gone (on the watch
 * request or as an ERROR event) means the version is too old, so it lists again. A kind the API does not serve
 * (404: its CRD is not installed) is retried slowly.
 */
import { KubeApiError, type KubeClient } from './kube-client.ts';
import { apiVersionOf, collectionPath, type ResourceKind } from './resources.ts';

type RawObject = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

export interface ReflectorOptions {
  /** Delay before retrying after a failure (ms). */
  retryMs?: number;
  /** Delay before looking again for a kind the API does not serve (ms). */
  missingKindRetryMs?: number;
  log: (level: 'info' | 'warn', message: string) => void;
}

function keyOf(o: RawObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

export class Reflector {
  readonly store = new Map<string, RawObject>();
  /** Set after the first successful list. */
  synced = false;
  relists = 0;
  readonly #abort = new AbortController();
  #resourceVersion = '';

  readonly resource: ResourceKind;
  readonly #client: KubeClient;
  readonly #onChange: () => void;
  readonly #options: ReflectorOptions;

  constructor(resource: ResourceKind, client: KubeClient, onChange: () => void, options: ReflectorOptions) {
    this.resource = resource;
    this.#client = client;
    this.#onChange = onChange;
    this.#options = options;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
  }

  #withKind(o: RawObject): RawObject {
    // List items come without apiVersion and kind; the translator needs both. managedFields (often the larger
    // part of an object) are never read: not kept.
    const metadata = o.metadata === undefined ? undefined : { ...o.metadata, managedFields: undefined };
    return { ...o, metadata, apiVersion: apiVersionOf(this.resource), kind: this.resource.kind };
  }

  async #list(): Promise<void> {
    const list = await this.#client.request<{ metadata?: { resourceVersion?: string }; items?: RawObject[] }>('GET', collectionPath(this.resource));
    this.store.clear();
    for (const item of list.items ?? []) this.store.set(keyOf(item), this.#withKind(item));
    this.#resourceVersion = list.metadata?.resourceVersion ?? '';
    this.synced = true;
    this.relists++;
    this.#onChange();
  }

  async #watch(): Promise<void> {
    // The server ends the watch after timeoutSeconds; it is resumed from the last version seen.
    const path = `${collectionPath(this.resource)}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(this.#resourceVersion)}`;
    await this.#client.watch(path, (event) => {
      const object = event.object as RawObject;
      if (event.type === 'ERROR') {
        const code = (object as { code?: unknown }).code;
        throw new KubeApiError(typeof code === 'number' ? code : 500, object, 'WATCH', collectionPath(this.resource));
      }
      const rv = object.metadata?.resourceVersion;
      if (typeof rv === 'string' && rv !== '') this.#resourceVersion = rv;
      if (event.type === 'BOOKMARK') return;
      if (event.type === 'DELETED') this.store.delete(keyOf(object));
      else this.store.set(keyOf(object), this.#withKind(object));
      this.#onChange();
    }, this.#abort.signal);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }

  async #run(): Promise<void> {
    let needList = true;
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      try {
        if (needList) await this.#list();
        needList = false;
        const started = Date.now();
        await this.#watch();
        failures = 0;
        // A watch ending normally (the server's timeout) is resumed from the last resourceVersion; one that ends
        // at once (a proxy cutting it) waits a little, so the API is not called in a tight loop.
        if (Date.now() - started < 1_000) await this.#sleep(200);
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        if (err instanceof KubeApiError && err.status === 410) {
          this.#options.log('info', `${this.resource.kind}: resourceVersion ${this.#resourceVersion} is gone; listing again`);
          needList = true;
          continue;
        }
        if (err instanceof KubeApiError && err.status === 404 && needList) {
          if (!this.synced) {
            // An absent CRD counts as an empty kind, so the other kinds still translate.
            this.synced = true;
            this.#onChange();
          }
          await this.#sleep(this.#options.missingKindRetryMs ?? 60_000);
          continue;
        }
        // Backs off up to 30 s: a Forbidden (missing RBAC rule) or an unreachable API would otherwise flood the log.
        failures++;
        const delay = Math.min(30_000, (this.#options.retryMs ?? 1_000) * 2 ** Math.min(failures - 1, 5));
        this.#options.log('warn', `${this.resource.kind}: ${(err as Error).message}; retrying in ${Math.round(delay / 1000)} s`);
        await this.#sleep(delay);
      }
    }
  }
}
