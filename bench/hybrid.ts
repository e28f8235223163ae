/**
 * Hybrid mode end to end at scale, through real processes (control plane on SQLite, one data plane, one
 * worker): for each size, the full snapshot's size and initial sync time, then a one-route change — the
 * message size (a delta) and the time until the data plane proxies the new route.
 *
 * Run: node bench/hybrid.ts [sizes...]   (default: 10000 100000)
 */
import { measureHybridScale } from '../test/helpers/hybrid-scale.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows = [];
for (const routes of sizes.length > 0 ? sizes : [10_000, 100_000]) {
  const r = await measureHybridScale(routes);
  rows.push(r);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
process.stdout.write('\n| routes | full snapshot (gzip) | initial sync | one-route change: message | propagation | DP apply |\n|---:|---:|---:|---:|---:|---:|\n');
for (const r of rows) {
  process.stdout.write(`| ${r.routes.toLocaleString('en')} | ${kb(r.fullBytes)} | ${(r.initialSyncMs / 1000).toFixed(1)} s | ${r.deltaKind} ${r.deltaBytes} B | ${r.propagationMs.toFixed(0)} ms | ${r.dataPlaneApplyMs?.toFixed(0) ?? '?'} ms |\n`);
}
