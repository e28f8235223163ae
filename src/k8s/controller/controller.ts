/**
 * The ingress controller's loop: reflectors keep every watched kind; a change schedules a translation
 * (debounced); the leader applies the result when its hash differs from the last one applied, posts Events for
 * the problems and writes Ingress and Gateway API status.
 */
import { createHash } from 'node:crypto';
import { loadDeclarative } from '../../declarative/index.ts';
import type { PluginSchemaRegistry } from '../../schema/index.ts';
import { toK8sObject, type K8sObject } from '../objects.ts';
import { classFilter, translate } from '../translate/index.ts';
import type { Applier } from './appliers.ts';
import { EventRecorder } from './events.ts';
import { writeGatewayApiStatus } from './gateway-status-writer.ts';
import { publishedAddresses, updateIngressStatus } from './ingress-status.ts';
import type { KubeClient } from './kube-client.ts';
import { LeaderElector } from './lease.ts';
import { ControllerMetrics } from './metrics.ts';
import { Reflector } from './reflector.ts';
import { WATCHED_KINDS } from './resources.ts';

export type ControllerLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface ControllerOptions {
  client: KubeClient;
  ingressClass: string;
  plugins: PluginSchemaRegistry;
  applier: Applier;
  /** Quiet time after a change before translating (ms). */
  debounceMs: number;
  /** How often to retry a failed apply, and look for gateways that lack the configuration (ms). */
  resyncMs: number;
  publishService: { namespace: string; name: string } | null;
  /** null: no election, this instance always applies. */
  election: { namespace: string; name: string; identity: string; durationSeconds: number; retryMs: number } | null;
  log: ControllerLog;
}

export class IngressController {
  readonly metrics = new ControllerMetrics();
  #ready = false;
  readonly #options: ControllerOptions;
  readonly #reflectors: Reflector[];
  readonly #elector: LeaderElector | null;
  readonly #events: EventRecorder;
  #debounce: NodeJS.Timeout | null = null;
  #resync: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #lastApplied: string | null = null;
  #logged: string | null = null;
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    const log = (level: 'info' | 'warn', message: string): void => options.log(level, message);
    this.#reflectors = WATCHED_KINDS.map((kind) => new Reflector(kind, options.client, () => this.#schedule(), { log }));
    this.#events = new EventRecorder(options.client, 'tollgate-ingress-controller', log);
    this.#elector = options.election === null ? null : new LeaderElector(options.client, {
      ...options.election,
      log,
      onChange: (leader) => {
        this.metrics.leader = leader;
        if (leader) this.#schedule();
      },
    });
    if (this.#elector === null) this.metrics.leader = true;
  }

  /** Ready once this instance applied a configuration, or (not the leader) once it has translated one. */
  get ready(): boolean {
    return this.#ready;
  }

  get leader(): boolean {
    return this.#elector === null ? true : this.#elector.leader;
  }

  start(): void {
    for (const r of this.#reflectors) r.start();
    this.#elector?.start();
    this.#resync = setInterval(() => this.#schedule(), this.#options.resyncMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    if (this.#resync !== null) clearInterval(this.#resync);
    for (const r of this.#reflectors) r.stop();
    await this.#running?.catch(() => {});
    await this.#elector?.stop();
  }

  /** Every object currently known, as the translator reads them. */
  objects(): K8sObject[] {
    const out: K8sObject[] = [];
    for (const r of this.#reflectors) {
      for (const raw of r.store.values()) {
        const o = toK8sObject(raw);
        if (typeof o !== 'string') out.push(o);
      }
    }
    return out;
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      this.#kick();
    }, this.#options.debounceMs);
  }

  /** One sync at a time; changes during a sync run one more after it. */
  #kick(): void {
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#sync()
      .catch((err: unknown) => this.#options.log('error', `sync failed: ${(err as Error).message}`))
      .finally(() => {
        this.#running = null;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #sync(): Promise<void> {
    // Translating a partial picture would delete what is not listed yet.
    if (!this.#reflectors.every((r) => r.synced)) return;
    this.metrics.relists = this.#reflectors.reduce((n, r) => n + r.relists, 0);
    const o = this.#options;
    const objects = this.objects();
    const { config, problems } = translate(objects, { ingressClass: o.ingressClass, plugins: o.plugins });
    this.metrics.problems = problems.length;
    if (problems.length === 0) this.metrics.translations.success++;
    else this.metrics.translations.failure++;
    const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
    if (!this.leader) {
      this.#ready = true;
      return;
    }
    if (hash !== this.#lastApplied) await this.#apply(config, hash);
    else if (o.applier.resync !== undefined) {
      try {
        const repaired = await o.applier.resync(config);
        if (repaired > 0) o.log('info', `sent configuration ${hash.slice(0, 12)} again to ${repaired} gateway(s) that lacked it`);
      } catch (err) {
        o.log('warn', `resync: ${(err as Error).message}`);
      }
    }
    // Problems are logged once per new configuration, and become Events (posted once while they last).
    if (hash !== this.#logged) for (const p of problems) o.log('warn', `translation: ${p}`);
    this.#logged = hash;
    const uid = (kind: string, ns: string, name: string): string | undefined =>
      objects.find((x) => x.kind === kind && x.metadata.namespace === ns && x.metadata.name === name)?.metadata.uid;
    await this.#events.record(problems, uid);
    if (o.publishService !== null) await this.#writeStatus(objects, o.publishService);
    await writeGatewayApiStatus(o.client, objects, {
      addresses: publishedAddresses(this.#publishService(objects)),
      programmed: this.#lastApplied === hash,
    }, (level, m) => o.log(level, m));
  }

  #publishService(objects: readonly K8sObject[]): K8sObject | undefined {
    const p = this.#options.publishService;
    return p === null ? undefined : objects.find((x) => x.kind === 'Service' && x.metadata.namespace === p.namespace && x.metadata.name === p.name);
  }

  async #apply(config: Record<string, unknown>, hash: string): Promise<void> {
    const loaded = loadDeclarative(config, { plugins: this.#options.plugins });
    // The translator already reported why; the gateways keep their last good configuration.
    if (!loaded.ok) return;
    try {
      await this.#options.applier.apply(config, loaded.config, hash);
      this.#lastApplied = hash;
      this.metrics.pushes.success++;
      this.metrics.lastApply = Math.floor(Date.now() / 1000);
      this.#ready = true;
      this.#options.log('info', `applied configuration ${hash.slice(0, 12)}`);
    } catch (err) {
      this.metrics.pushes.failure++;
      this.#options.log('error', `applying the configuration failed: ${(err as Error).message}`);
    }
  }

  async #writeStatus(objects: readonly K8sObject[], publish: { namespace: string; name: string }): Promise<void> {
    const { namespace, name } = publish;
    const service = objects.find((x) => x.kind === 'Service' && x.metadata.namespace === namespace && x.metadata.name === name);
    const inClass = classFilter(objects, this.#options.ingressClass);
    const ingresses = objects.filter((x) => x.kind === 'Ingress' && inClass(x));
    await updateIngressStatus(this.#options.client, ingresses, publishedAddresses(service), (level, m) => this.#options.log(level, m));
  }
}
