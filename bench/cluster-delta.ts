/**
 * Hybrid-mode sync benchmark: for 10,000 and 100,000 routes (each with its own service) prints the
 * size of the full payload and of the delta for a one-route change, and the time of each step on the
 * control plane (hash a version, encode the full payload, compute + encode the delta) and on a data
 * plane (decode + verify a full payload, decode + apply + verify the delta). It also keeps 32 versions
 * of one-route changes in a history and reports the heap they hold beyond the current configuration.
 *
 * Entities are built from the real schemas (defaults filled), with random UUIDs as the store makes them.
 *
 * Run: node bench/cluster-delta.ts [sizes...]   (default: 10000 100000)
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ENTITY_ORDER, validateEntity } from '../src/entities/index.ts';
import { ConfigHistory } from '../src/cluster/config-history.ts';
import { ConfigReplica } from '../src/cluster/config-replica.ts';
import { indexConfig, type WireConfig, type WireEntity } from '../src/cluster/config-version.ts';
import { decodeConfigMessage, type FullConfigMessage } from '../src/cluster/payload.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const MAX_PAYLOAD = 256 * 1024 * 1024;
const ROUNDS = 5;

function template(name: 'services' | 'routes', input: Record<string, unknown>): Record<string, unknown> {
  const result = validateEntity(name, input, { now: 1_700_000_000_000 });
  if (!result.ok) throw new Error(`bad ${name} template: ${JSON.stringify(result.errors)}`);
  return JSON.parse(JSON.stringify(result.value)) as Record<string, unknown>;
}

const SERVICE = template('services', { name: 'svc', host: 'upstream.internal', port: 8080, path: '/api', tags: ['bench'] });
const ROUTE = template('routes', { name: 'route', paths: ['/x'], hosts: ['api.example.com'], methods: ['GET', 'POST'], tags: ['bench'], service: { id: randomUUID() } });

function makeRoute(i: number, serviceId: string, path = `/r${i}/`): WireEntity {
  return { ...ROUTE, id: randomUUID(), name: `route-${i}`, paths: [path], service: { id: serviceId } } as WireEntity;
}

function makeConfig(n: number): WireConfig {
  const services: WireEntity[] = [];
  const routes: WireEntity[] = [];
  for (let i = 0; i < n; i++) {
    const service = { ...SERVICE, id: randomUUID(), name: `svc-${i}`, host: `svc-${i}.upstream.internal` } as WireEntity;
    services.push(service);
    routes.push(makeRoute(i, service.id));
  }
  const config = Object.fromEntries(ENTITY_ORDER.map((name) => [name, []])) as unknown as Record<string, WireEntity[]>;
  config.services = services;
  config.routes = routes;
  return config as unknown as WireConfig;
}

/** The same configuration with route `at` changed. */
function changeOneRoute(config: WireConfig, at: number, version: number): WireConfig {
  const routes = [...config.routes];
  routes[at] = { ...routes[at], paths: [`/changed-${version}/`], updated_at: 1_700_000_000 + version };
  return { ...config, routes };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function run(n: number): void {
  const base = makeConfig(n);
  const entities = n * 2;

  const hashing = median(Array.from({ length: ROUNDS }, () => time(() => indexConfig(base)).ms));

  const history = new ConfigHistory();
  const publish1 = time(() => history.publish(base, 1));
  const v1 = publish1.value!;
  const full = time(() => history.planFor(null));
  if (full.value.kind !== 'full') throw new Error('expected a full payload');
  const fullBytes = full.value.payload.length;

  const dpFull = time(() => ConfigReplica.fromFull(decodeConfigMessage((full.value as { payload: Buffer }).payload, MAX_PAYLOAD) as FullConfigMessage));
  const replica = dpFull.value;

  const publishMs: number[] = [];
  const deltaMs: number[] = [];
  const applyMs: number[] = [];
  let deltaBytes = 0;
  let config = base;
  let hash = v1.hash;
  let current = replica;
  for (let round = 0; round < ROUNDS; round++) {
    config = changeOneRoute(config, (round * 7919) % n, round + 2);
    const published = time(() => history.publish(config, round + 2));
    publishMs.push(published.ms);
    const plan = time(() => history.planFor(hash));
    if (plan.value.kind !== 'delta') throw new Error(`expected a delta, got ${plan.value.kind}`);
    deltaMs.push(plan.ms);
    deltaBytes = plan.value.payload.length;
    const payload = plan.value.payload;
    const applied = time(() => {
      const m = decodeConfigMessage(payload, MAX_PAYLOAD);
      if (m.type !== 'delta') throw new Error('expected a delta message');
      return current.applyDelta(m);
    });
    applyMs.push(applied.ms);
    if (applied.value.hash !== published.value!.hash) throw new Error('replica hash differs from the CP');
    current = applied.value;
    hash = published.value!.hash;
  }
  const fullEncode = history.metrics().lastFullEncodeMs ?? full.ms;

  // Memory of the history alone: 32 one-route versions on top of the current one.
  const memoryHistory = new ConfigHistory({ keep: 32 });
  let memConfig = makeConfig(n);
  memoryHistory.publish(memConfig);
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  for (let v = 0; v < 32; v++) {
    memConfig = changeOneRoute(memConfig, (v * 104729) % n, v);
    memoryHistory.publish(memConfig);
  }
  collectGarbage();
  const held = process.memoryUsage().heapUsed - before;

  console.log(`${n.toLocaleString('en')} routes + ${n.toLocaleString('en')} services (${entities.toLocaleString('en')} entities)`);
  console.log(`  full payload            ${kb(fullBytes).padStart(12)}   encode (JSON + gzip 6) ${ms(fullEncode)}`);
  console.log(`  delta payload, 1 route  ${kb(deltaBytes).padStart(12)}   (${((deltaBytes / fullBytes) * 100).toFixed(4)} % of full)`);
  console.log(`  CP  indexConfig                      ${ms(hashing).padStart(10)}   (${((hashing * 1000) / entities).toFixed(2)} µs/entity, median of ${ROUNDS})`);
  console.log(`  CP  publish first version            ${ms(publish1.ms).padStart(10)}`);
  console.log(`  CP  publish a one-route version      ${ms(median(publishMs)).padStart(10)}   (median of ${ROUNDS})`);
  console.log(`  CP  compute + encode the delta       ${ms(median(deltaMs)).padStart(10)}`);
  console.log(`  DP  decode + verify the full config  ${ms(dpFull.ms).padStart(10)}`);
  console.log(`  DP  decode + apply + verify a delta  ${ms(median(applyMs)).padStart(10)}`);
  console.log(`  CP  heap held by 32 older versions   ${mb(held).padStart(10)}`);
  console.log('');
}

const sizes = process.argv.slice(2).map(Number).filter((v) => Number.isInteger(v) && v > 0);
for (const n of sizes.length > 0 ? sizes : [10_000, 100_000]) {
  run(n);
  collectGarbage();
}
