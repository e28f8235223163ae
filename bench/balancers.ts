/**
 * Cost of one pick (and its release) for each of Kong's balancing algorithms, side by side with
 * round-robin as the baseline, at several target counts. Medians over rounds; ratios to round-robin.
 *
 *   node bench/balancers.ts [--picks N] [--rounds N] [--targets 3,100,1000]
 */
import { parseArgs } from 'node:util';
import { ConsistentHashingBalancer, LatencyBalancer, LeastConnectionsBalancer, RoundRobinBalancer } from '../src/balancer/algorithms.ts';
import { compileHashInput } from '../src/balancer/hash-input.ts';
import type { BalancerRequest, BalancerTarget, TargetBalancer } from '../src/balancer/types.ts';

const { values } = parseArgs({
  options: {
    picks: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '5' },
    targets: { type: 'string', default: '3,100,1000' },
  },
});
const PICKS = Number(values.picks);
const ROUNDS = Number(values.rounds);
const COUNTS = values.targets!.split(',').map(Number);

const byHeader = compileHashInput({ id: 'u', name: 'u', host_header: null, hash_on: 'header', hash_on_header: 'x-user' });

/** 1,024 requests with distinct `X-User` values, reused round after round. */
const requests: BalancerRequest[] = Array.from({ length: 1024 }, (_, k) => {
  const user = `user-${k}`;
  return {
    clientIp: '192.0.2.1',
    path: '/',
    consumerKey: undefined,
    header: () => user,
    cookie: () => undefined,
    queryArg: () => undefined,
    uriCapture: () => undefined,
    hashValue: null,
    hashCookie: null,
  };
});

const ALGORITHMS: [string, (t: BalancerTarget[]) => TargetBalancer][] = [
  ['round-robin', (t) => new RoundRobinBalancer(t)],
  ['consistent-hashing', (t) => new ConsistentHashingBalancer(t, 10_000, byHeader)],
  ['least-connections', (t) => new LeastConnectionsBalancer(t)],
  ['latency', (t) => new LatencyBalancer(t)],
];

/** Nanoseconds per pick + release; each request's hash value is cleared so that it is computed every time. */
function measure(b: TargetBalancer, picks: number): number {
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < picks; k++) {
    const r = requests[k & 1023];
    r.hashValue = null;
    const i = b.pick(b.hashes ? r : null, null);
    if (i >= 0) b.release?.(i, 2 + (k & 7));
  }
  return Number(process.hrtime.bigint() - t0) / picks;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`| targets | algorithm | ns per pick | × round-robin |`);
console.log(`| ---: | --- | ---: | ---: |`);
for (const n of COUNTS) {
  const targets = Array.from({ length: n }, (_, i) => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 8080, weight: 100 }));
  const balancers = ALGORITHMS.map(([name, make]) => [name, make(targets)] as const);
  for (const [, b] of balancers) measure(b, Math.min(PICKS, 50_000)); // warm-up
  const samples = new Map<string, number[]>(balancers.map(([name]) => [name, []]));
  // Rounds interleave the algorithms, so that a slow spell of the machine hits them all alike.
  for (let round = 0; round < ROUNDS; round++) for (const [name, b] of balancers) samples.get(name)!.push(measure(b, PICKS));
  const baseline = median(samples.get('round-robin')!);
  for (const [name] of balancers) {
    const ns = median(samples.get(name)!);
    console.log(`| ${n} | ${name} | ${ns.toFixed(0)} | ${(ns / baseline).toFixed(1)} |`);
  }
}
