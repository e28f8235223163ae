/**
 * Router benchmark: builds routers of 10, 1,000 and 100,000 routes for each flavor (and, for the
 * expressions flavor, once more with every route written as an expression) and measures the
 * cost of one `match` (median of several rounds) for
 * - hot hits: requests cycling over 16 routes, so the data stays in the CPU caches; this isolates the
 *   algorithm, which must not grow with the number of plain host and prefix routes;
 * - spread hits: requests spread over the whole configuration; at 100k routes these also pay for
 *   cache misses on a large working set, which no data structure avoids entirely;
 * - misses: unknown host and path (the 404 path).
 *
 * Run: node bench/router.ts
 * Smaller runs: ROUTER_BENCH_SIZES=10,1000 ROUTER_BENCH_MODES=expressions,expression-routes node bench/router.ts
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildRouter } from '../src/router/index.ts';
import type { MatchInput, Router, RouterEntry, RouterFlavor, RouterRoute } from '../src/router/types.ts';

const SIZES = process.env.ROUTER_BENCH_SIZES?.split(',').map(Number) ?? [10, 1_000, 100_000];

interface Mode {
  label: string;
  flavor: RouterFlavor;
  /** Rewrites the traditional routes as the mode's routes (the requests are built from the traditional ones). */
  rewrite?: (routes: RouterEntry<number>[]) => RouterEntry<number>[];
}

/** The same routes written as expressions (priority 0: ties go by id, as for any equal priority). */
function asExpressions(routes: RouterEntry<number>[]): RouterEntry<number>[] {
  return routes.map((entry) => {
    const r = entry.route;
    const terms: string[] = [];
    for (const host of r.hosts ?? []) terms.push(host.startsWith('*') ? `http.host =^ "${host.slice(1)}"` : `http.host == "${host}"`);
    for (const method of r.methods ?? []) terms.push(`http.method == "${method}"`);
    for (const path of r.paths ?? []) terms.push(path.startsWith('~') ? `http.path ~ r#"^${path.slice(1)}"#` : `http.path ^= "${path}"`);
    return { ...entry, route: { ...r, hosts: null, paths: null, methods: null, expression: terms.join(' && '), priority: 0 } };
  });
}

const ALL_MODES: Mode[] = [
  { label: 'traditional', flavor: 'traditional' },
  { label: 'traditional_compatible', flavor: 'traditional_compatible' },
  { label: 'expressions', flavor: 'expressions' },
  { label: 'expression-routes', flavor: 'expressions', rewrite: asExpressions },
];
const wanted = process.env.ROUTER_BENCH_MODES?.split(',');
const MODES = wanted === undefined ? ALL_MODES : ALL_MODES.filter((mode) => wanted.includes(mode.label));
const ROUNDS = 9;
const INPUTS = 2_000;
const TARGET_NS_PER_ROUND = 150_000_000;

// Collect the garbage of the previous router before measuring the next one, so a major GC of a large
// dead heap does not land inside a measurement round.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function route(id: number, fields: Partial<RouterRoute>): RouterEntry<number> {
  return {
    route: {
      id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
      name: null,
      created_at: id,
      protocols: ['http', 'https'],
      methods: null,
      hosts: null,
      paths: null,
      headers: null,
      snis: null,
      regex_priority: 0,
      strip_path: true,
      preserve_host: false,
      path_handling: 'v0',
      ...fields,
    },
    servicePath: '/upstream',
    payload: id,
  };
}

/**
 * A realistic mix: 40% host-only routes, 40% prefix-only routes, 15% host+prefix routes, a few
 * methods+prefix routes, and a fixed handful of regex and wildcard-host routes.
 */
function makeRoutes(count: number): RouterEntry<number>[] {
  const routes: RouterEntry<number>[] = [];
  for (let i = 0; routes.length < count - 8; i++) {
    const kind = i % 20;
    if (kind < 8) routes.push(route(i, { hosts: [`svc-${i}.example.com`] }));
    else if (kind < 16) routes.push(route(i, { paths: [`/api/v1/resource-${i}`] }));
    else if (kind < 19) routes.push(route(i, { hosts: [`tenant-${i % 997}.example.com`], paths: [`/t/${i}`] }));
    else routes.push(route(i, { methods: ['POST'], paths: [`/write/${i}`] }));
  }
  for (let k = 0; k < 5; k++) routes.push(route(10_000_000 + k, { paths: [`~/regex/${k}/\\d+$`] }));
  for (let k = 0; k < 3; k++) routes.push(route(20_000_000 + k, { hosts: [`*.wild-${k}.net`] }));
  return routes;
}

function input(host: string, rawPath: string, method = 'GET'): MatchInput {
  return { method, rawPath, host, headers: { accept: '*/*', 'user-agent': 'bench' }, sni: '', scheme: 'http', listenerPort: 8000 };
}

/** Requests that hit `distinct` routes spread over the whole configuration. */
function makeHits(routes: RouterEntry<number>[], distinct: number): MatchInput[] {
  const inputs: MatchInput[] = [];
  for (let n = 0; inputs.length < INPUTS; n++) {
    const { route: r } = routes[((n % distinct) * 7919) % routes.length];
    const host = r.hosts?.[0]?.replace('*', 'x') ?? 'unknown.example.org';
    const path = r.paths?.[0]?.startsWith('~') ? `/regex/${n % 5}/${n}` : `${r.paths?.[0] ?? ''}/item/${n}`;
    inputs.push(input(host, path, r.methods?.[0] ?? 'GET'));
  }
  return inputs;
}

/** Requests that match nothing: unknown host, unknown path. */
function makeMisses(): MatchInput[] {
  return Array.from({ length: INPUTS }, (_, n) => input(`nobody-${n}.example.org`, `/nothing/here/${n}`));
}

let sink = 0;

function nsPerMatch(router: Router<number>, inputs: MatchInput[]): number {
  // Calibrate the repetition count so one round takes a measurable time.
  let repeats = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeats; r++) for (const item of inputs) sink += router.match(item)?.payload ?? 1;
    const elapsed = Number(process.hrtime.bigint() - start);
    if (elapsed > TARGET_NS_PER_ROUND / 4 || repeats > 1_000) break;
    repeats *= 2;
  }
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeats; r++) for (const item of inputs) sink += router.match(item)?.payload ?? 1;
    samples.push(Number(process.hrtime.bigint() - start) / (repeats * inputs.length));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function checkHits(router: Router<number>, inputs: MatchInput[]): number {
  let hits = 0;
  for (const item of inputs) if (router.match(item) !== null) hits++;
  return hits;
}

const rows: string[][] = [['flavor', 'routes', 'build ms', 'hot hit ns', 'spread hit ns', 'miss ns']];
const ratios: string[] = [];

for (const { label: flavor, flavor: routerFlavor, rewrite } of MODES) {
  const results = new Map<number, { hot: number; spread: number; miss: number }>();
  for (const size of SIZES) {
    const routes = makeRoutes(size);
    const configured = rewrite === undefined ? routes : rewrite(routes);
    collectGarbage();
    const buildStart = process.hrtime.bigint();
    const router = buildRouter(configured, { flavor: routerFlavor });
    const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
    const hot = makeHits(routes, 16);
    const spread = makeHits(routes, INPUTS);
    const misses = makeMisses();
    if (checkHits(router, hot) !== hot.length || checkHits(router, spread) !== spread.length) {
      throw new Error('a hit request did not match; the benchmark data is wrong');
    }
    if (checkHits(router, misses) !== 0) throw new Error('a miss request matched; the benchmark data is wrong');
    collectGarbage();
    const result = { hot: nsPerMatch(router, hot), spread: nsPerMatch(router, spread), miss: nsPerMatch(router, misses) };
    results.set(size, result);
    rows.push([flavor, size.toLocaleString('en-US'), buildMs.toFixed(1), result.hot.toFixed(0), result.spread.toFixed(0), result.miss.toFixed(0)]);
  }
  const small = results.get(SIZES[0])!;
  const large = results.get(SIZES[SIZES.length - 1])!;
  const ratio = (key: 'hot' | 'spread' | 'miss') => `${(large[key] / small[key]).toFixed(2)}x`;
  ratios.push(`${flavor}: 100k/10 hot hit ${ratio('hot')}, spread hit ${ratio('spread')}, miss ${ratio('miss')}`);
}

const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
for (const row of rows) console.log(row.map((cell, column) => cell.padStart(widths[column])).join('  '));
console.log('');
for (const line of ratios) console.log(line);
if (sink === 42) console.log('');
