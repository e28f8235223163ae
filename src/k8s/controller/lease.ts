/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go does it: the holder renews the lease;
 * another instance takes it over only after it saw no renewal for leaseDurationSeconds (measured on its own
 * clock from when it last saw the record change, so clock skew between pods does not matter). Writes carry
 * the resourceVersion read, so two candidates cannot both win.
 */
import { KubeApiError, type KubeClient } from './kube-client.ts';

export interface LeaseOptions {
  namespace: string;
  name: string;
  identity: string;
  durationSeconds: number;
  /** How often to renew or try (ms). */
  retryMs: number;
  onChange: (leader: boolean) => void;
  log: (level: 'info' | 'warn', message: string) => void;
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  leader = false;
  #timer: NodeJS.Timeout | null = null;
  #observed: { record: string; at: number } | null = null;
  #stopped = false;

  readonly #client: KubeClient;
  readonly #options: LeaseOptions;

  constructor(client: KubeClient, options: LeaseOptions) {
    this.#client = client;
    this.#options = options;
  }

  get #path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.#options.namespace}/leases/${this.#options.name}`;
  }

  start(): void {
    void this.#tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (!this.leader) return;
    // Hand the lease over at once instead of making the others wait out its duration.
    try {
      const lease = await this.#client.request<LeaseObject>('GET', this.#path);
      if (lease.spec?.holderIdentity === this.#options.identity) {
        await this.#client.request('PUT', this.#path, { ...lease, spec: { ...lease.spec, holderIdentity: '', renewTime: microTime() } });
      }
    } catch { /* the lease expires by itself */ }
    this.#set(false);
  }

  #set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.#options.log('info', leader ? `acquired lease ${this.#options.namespace}/${this.#options.name} as ${this.#options.identity}` : `lost lease ${this.#options.namespace}/${this.#options.name}`);
    this.#options.onChange(leader);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#set(await this.#tryAcquireOrRenew());
    } catch (err) {
      this.#options.log('warn', `leader election: ${(err as Error).message}`);
      // Without a successful renewal the lease may go to another instance: stop acting as leader.
      this.#set(false);
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.#options.retryMs);
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, durationSeconds } = this.#options;
    const now = microTime();
    let lease: LeaseObject;
    try {
      lease = await this.#client.request<LeaseObject>('GET', this.#path);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      try {
        await this.#client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        if (createErr instanceof KubeApiError && createErr.status === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (this.#observed === null || this.#observed.record !== record) this.#observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const expired = holder === '' || Date.now() - this.#observed.at > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== identity && !expired) return false;
    const next: LeaseObject = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: now,
        ...(holder === identity ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    try {
      await this.#client.request('PUT', this.#path, next);
      return true;
    } catch (err) {
      // 409: someone else wrote the lease since it was read.
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  }
}
