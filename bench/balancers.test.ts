import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./balancers.ts', import.meta.url));

test('the balancer benchmark prints a row per algorithm and target count, with the ratio to round-robin', { timeout: 60_000 }, () => {
  const out = execFileSync(process.execPath, [SCRIPT, '--picks', '2000', '--rounds', '1', '--targets', '3,50'], { encoding: 'utf8' });
  for (const n of [3, 50]) {
    for (const name of ['round-robin', 'consistent-hashing', 'least-connections', 'latency']) {
      const line = out.split('\n').find((l) => l.startsWith(`| ${n} | ${name} |`));
      assert.ok(line, `a row for ${name} with ${n} targets in:\n${out}`);
      const cells = line.split('|').map((c) => c.trim());
      // The ratio is printed to one decimal: a pick far cheaper than round-robin's in a short, noisy run shows 0.0.
      assert.ok(Number(cells[3]) > 0 && Number.isFinite(Number(cells[4])) && Number(cells[4]) >= 0, line);
    }
  }
});
