/**
 * What consumer groups cost at config time, where Tollgate folds them into the plugin chains: indexing the
 * memberships, building the chains with one group-scoped plugin per group, the first chain of each consumer
 * (built on its first request) and the lookup every later request of that consumer pays. Medians over rounds.
 *
 *   node bench/consumer-groups.ts [--consumers N] [--groups N] [--rounds N]
 */
import { parseArgs } from 'node:util';
import type { PluginHandler } from '../src/pdk/index.ts';
import { buildConfigData, groupsByConsumer, PluginChainBuilder } from '../src/snapshot/plugin-chains.ts';
import type { PluginFields, SnapshotInput } from '../src/snapshot/types.ts';

const { values } = parseArgs({ options: { consumers: { type: 'string', default: '100000' }, groups: { type: 'string', default: '100' }, rounds: { type: 'string', default: '5' } } });
const CONSUMERS = Number(values.consumers);
const GROUPS = Number(values.groups);
const ROUNDS = Number(values.rounds);

const HANDLERS = new Map<string, PluginHandler>([
  ['auth', { name: 'auth', priority: 1250, access() {} }],
  ['limit', { name: 'limit', priority: 910, access() {} }],
]);

function plugin(id: string, name: string, group: string | null): PluginFields {
  return { id, name, route: null, service: null, consumer: null, consumer_group: group === null ? null : { id: group }, config: {}, protocols: ['http'], enabled: true };
}

const groups = Array.from({ length: GROUPS }, (_, i) => ({ id: `g${i}`, name: `group-${i}` }));
// Every consumer in one group, every tenth in a second one.
const members = Array.from({ length: CONSUMERS }, (_, i) => ({ consumer_group: { id: `g${i % GROUPS}` }, consumer: { id: `c${i}` } }));
for (let i = 0; i < CONSUMERS; i += 10) members.push({ consumer_group: { id: `g${(i + 1) % GROUPS}` }, consumer: { id: `c${i}` } });
const plugins = [plugin('auth', 'auth', null), ...groups.map((g) => plugin(`limit-${g.id}`, 'limit', g.id))];
const input = { services: [], routes: [], upstreams: [], targets: [], consumers: [], plugins, consumer_groups: groups, consumer_group_consumers: members } as SnapshotInput;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<string, number[]> = { index: [], build: [], first: [], lookup: [] };
for (let round = 0; round < ROUNDS; round++) {
  let t = performance.now();
  const memberships = groupsByConsumer(input);
  rows.index.push(performance.now() - t);
  t = performance.now();
  const chain = new PluginChainBuilder(plugins, HANDLERS, buildConfigData(input), memberships).chainFor('r', 's')!;
  rows.build.push(performance.now() - t);
  t = performance.now();
  for (let i = 0; i < CONSUMERS; i++) chain.forConsumer!(`c${i}`);
  rows.first.push(((performance.now() - t) * 1e6) / CONSUMERS);
  t = performance.now();
  for (let i = 0; i < CONSUMERS; i++) chain.forConsumer!(`c${i}`);
  rows.lookup.push(((performance.now() - t) * 1e6) / CONSUMERS);
}
console.log(`${CONSUMERS} consumers, ${GROUPS} groups with a plugin each, ${members.length} memberships; medians of ${ROUNDS} rounds`);
console.log(`  index memberships:          ${median(rows.index).toFixed(1)} ms`);
console.log(`  build the chains:           ${median(rows.build).toFixed(1)} ms`);
console.log(`  a consumer's first chain:   ${median(rows.first).toFixed(0)} ns`);
console.log(`  a consumer's chain later:   ${median(rows.lookup).toFixed(0)} ns`);
