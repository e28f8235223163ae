/**
 * Health of every upstream target, kept in the supervisor so that all workers share one view, as Kong's
 * workers share theirs. Active checks probe targets on their intervals; workers report what proxied traffic
 * showed (passive checks); an operator can set a target's state. Every change is announced with the full
 * list of unhealthy targets, which the workers' balancers then skip.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from '../balancer/dns-lookup.ts';
import { connect, isIP } from 'node:net';
import { lookup as systemLookup } from 'node:dns';
import { readHealthSettings, statusOutcome, type ActiveCheck, type HealthSettings } from './settings.ts';
import { TargetHealth, type HealthOutcome } from './target-health.ts';
import { healthKey, splitTargetString, targetKey } from '../balancer/target-address.ts';

interface UpstreamInput {
  id: string;
  name: string;
  host_header: string | null;
  healthchecks?: unknown;
}

interface TargetInput {
  target: string;
  upstream: { id: string };
}

interface CheckedTarget {
  host: string;
  port: number;
  key: string;
  health: TargetHealth;
  /** The host name did not resolve when last looked up (Kong's DNS_ERROR); an IP address never fails. */
  dnsError: boolean;
  /** A lookup is under way. */
  resolving: boolean;
}

interface CheckedUpstream {
  name: string;
  hostHeader: string | null;
  settingsKey: string;
  settings: HealthSettings;
  targets: Map<string, CheckedTarget>;
  timers: NodeJS.Timeout[];
  /** Target keys looked up at least once. */
  resolved: Set<string>;
}

export interface HealthLog {
  notice(message: string): void;
}

export class HealthChecker {
  readonly #upstreams = new Map<string, CheckedUpstream>();
  readonly #onChange: (unhealthy: string[]) => void;
  readonly #log: HealthLog;
  /** Resolves target host names as the proxy does (`dns_resolver`); null uses Node's `dns.lookup`. */
  readonly #lookup: LookupFunction | null;
  #stopped = false;

  constructor(onChange: (unhealthy: string[]) => void, log: HealthLog, lookup: LookupFunction | null = null) {
    this.#onChange = onChange;
    this.#log = log;
    this.#lookup = lookup;
  }

  /** Follows a new configuration; targets that stay keep their state. */
  update(config: { upstreams: readonly UpstreamInput[]; targets: readonly TargetInput[] }): void {
    const before = this.unhealthy().join('\n');
    const seen = new Set<string>();
    for (const u of config.upstreams) {
      seen.add(u.id);
      const settingsKey = JSON.stringify(u.healthchecks ?? null);
      let checked = this.#upstreams.get(u.id);
      if (checked === undefined || checked.settingsKey !== settingsKey) {
        for (const t of checked?.timers ?? []) clearInterval(t);
        checked = {
          name: u.name,
          hostHeader: u.host_header,
          settingsKey,
          settings: readHealthSettings(u.healthchecks),
          targets: checked?.targets ?? new Map(),
          timers: [],
          resolved: checked?.resolved ?? new Set(),
        };
        this.#upstreams.set(u.id, checked);
        this.#startActive(u.id, checked);
      }
      checked.name = u.name;
      checked.hostHeader = u.host_header;
    }
    for (const [id, checked] of this.#upstreams) {
      if (seen.has(id)) continue;
      for (const t of checked.timers) clearInterval(t);
      this.#upstreams.delete(id);
    }
    const keys = new Map<string, Set<string>>();
    for (const t of config.targets) {
      const checked = this.#upstreams.get(t.upstream.id);
      if (checked === undefined) continue;
      const { host, port } = splitTargetString(t.target);
      const key = targetKey(host, port);
      let set = keys.get(t.upstream.id);
      if (set === undefined) keys.set(t.upstream.id, (set = new Set()));
      set.add(key);
      if (!checked.targets.has(key)) checked.targets.set(key, { host, port, key, health: new TargetHealth(), dnsError: false, resolving: false });
      const target = checked.targets.get(key)!;
      // A checked upstream reports targets whose name does not resolve: looked up when they appear, and again
      // with each new configuration while they fail.
      if (isChecking(checked) && (target.dnsError || !checked.resolved.has(key))) this.#resolve(checked, target);
    }
    for (const [id, checked] of this.#upstreams) {
      const live = keys.get(id);
      for (const key of checked.targets.keys()) if (live === undefined || !live.has(key)) checked.targets.delete(key);
    }
    if (this.unhealthy().join('\n') !== before) this.#onChange(this.unhealthy());
  }

  /** What proxied traffic showed (passive checks); ignored unless the upstream has them. */
  report(upstreamId: string, key: string, outcome: HealthOutcome): void {
    const checked = this.#upstreams.get(upstreamId);
    const passive = checked?.settings.passive;
    const target = checked?.targets.get(key);
    if (passive == null || target === undefined) return;
    if (target.health.record(outcome, passive.thresholds)) this.#changed(checked!, target, `passive check: ${outcome.replace('_', ' ')}`);
  }

  /** An operator's override. Returns false when the upstream has no such target. */
  set(upstreamId: string, key: string, healthy: boolean): boolean {
    const checked = this.#upstreams.get(upstreamId);
    const target = checked?.targets.get(key);
    if (target === undefined) return false;
    if (target.health.set(healthy)) this.#changed(checked!, target, 'set through the Admin API');
    return true;
  }

  /** Each target's state, or null when the upstream checks nothing (Kong's HEALTHCHECKS_OFF). */
  targetsOf(upstreamId: string): { key: string; healthy: boolean | null; dnsError?: true }[] {
    const checked = this.#upstreams.get(upstreamId);
    if (checked === undefined) return [];
    const checking = isChecking(checked);
    return [...checked.targets.values()].map((t) => ({
      key: t.key,
      healthy: checking || !t.health.healthy ? t.health.healthy : null,
      ...(checking && t.dnsError ? { dnsError: true as const } : {}),
    }));
  }

  /** Looks the target's host name up as the proxy would; an IP address needs no lookup. */
  #resolve(checked: CheckedUpstream, target: CheckedTarget): void {
    checked.resolved.add(target.key);
    if (target.resolving || isIP(target.host) !== 0) return;
    target.resolving = true;
    const lookup: LookupFunction = this.#lookup ?? systemLookup;
    lookup(target.host, {}, (err) => {
      target.resolving = false;
      target.dnsError = err !== null;
    });
  }

  /**
   * The addresses a target host name resolves to, with the resolver the checks and the proxy use; null when
   * it does not resolve (Kong's health listing then says DNS_ERROR). An IP address is its own answer.
   */
  resolve(host: string): Promise<string[] | null> {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIP(bare) !== 0) return Promise.resolve([bare]);
    const lookup = this.#lookup ?? systemLookup;
    return new Promise((resolve) => {
      lookup(bare, { all: true }, (err, addresses) => {
        if (err !== null || !Array.isArray(addresses) || addresses.length === 0) resolve(null);
        else resolve([...new Set(addresses.map((a) => a.address))]);
      });
    });
  }

  /** Every unhealthy target as `healthKey(upstream id, host:port)`, sorted. */
  unhealthy(): string[] {
    const out: string[] = [];
    for (const [id, checked] of this.#upstreams) {
      for (const t of checked.targets.values()) if (!t.health.healthy) out.push(healthKey(id, t.key));
    }
    return out.sort();
  }

  stop(): void {
    this.#stopped = true;
    for (const checked of this.#upstreams.values()) for (const t of checked.timers) clearInterval(t);
  }

  #changed(checked: CheckedUpstream, target: CheckedTarget, why: string): void {
    this.#log.notice(`upstream ${checked.name}: target ${target.key} is ${target.health.healthy ? 'healthy' : 'unhealthy'} (${why})`);
    this.#onChange(this.unhealthy());
  }

  #startActive(upstreamId: string, checked: CheckedUpstream): void {
    const active = checked.settings.active;
    if (active === null) return;
    const every = (seconds: number, healthy: boolean) => {
      if (seconds <= 0) return;
      const timer = setInterval(() => void this.#probeAll(upstreamId, checked, active, healthy), seconds * 1000);
      timer.unref();
      checked.timers.push(timer);
    };
    every(active.healthyInterval, true);
    every(active.unhealthyInterval, false);
  }

  /** Probes the upstream's targets that are in the given state, `concurrency` at a time. */
  async #probeAll(upstreamId: string, checked: CheckedUpstream, active: ActiveCheck, healthy: boolean): Promise<void> {
    const queue = [...checked.targets.values()].filter((t) => t.health.healthy === healthy);
    const worker = async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const outcome = await probe(t, active, checked.hostHeader, this.#lookup);
        if (this.#stopped || this.#upstreams.get(upstreamId) !== checked || checked.targets.get(t.key) !== t) continue;
        if (outcome !== null && t.health.record(outcome, active.thresholds)) this.#changed(checked, t, `active check: ${outcome.replace('_', ' ')}`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(active.concurrency, queue.length)) }, worker));
  }
}

function isChecking(checked: CheckedUpstream): boolean {
  return checked.settings.active !== null || checked.settings.passive !== null;
}

/** One active probe: a TCP connection, or a GET of `http_path` whose status is classified. */
function probe(t: CheckedTarget, active: ActiveCheck, hostHeader: string | null, lookup: LookupFunction | null): Promise<HealthOutcome | null> {
  const timeoutMs = active.timeout * 1000;
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: HealthOutcome | null) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    if (active.type === 'tcp') {
      const socket = connect({ host: t.host, port: t.port, ...(lookup === null ? {} : { lookup }) });
      socket.setTimeout(timeoutMs, () => {
        socket.destroy();
        done('timeout');
      });
      socket.once('connect', () => {
        socket.destroy();
        done('success');
      });
      socket.once('error', () => done('tcp_failure'));
      return;
    }
    const headers: Record<string, string | string[]> = { ...active.headers, host: hostHeader ?? targetKey(t.host, t.port) };
    const options = { host: t.host, port: t.port, path: active.httpPath, method: 'GET', headers, agent: false, timeout: timeoutMs, ...(lookup === null ? {} : { lookup }) };
    const onResponse = (res: IncomingMessage) => {
      res.resume();
      done(statusOutcome(res.statusCode ?? 0, active.healthyStatuses, active.unhealthyStatuses));
    };
    const req =
      active.type === 'https'
        ? httpsRequest({ ...options, servername: active.httpsSni ?? hostHeader ?? t.host, rejectUnauthorized: active.verifyCertificate }, onResponse)
        : httpRequest(options, onResponse);
    req.once('timeout', () => {
      req.destroy();
      done('timeout');
    });
    req.once('error', () => done('tcp_failure'));
    req.end();
  });
}
