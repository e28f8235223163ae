import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./upstream-client.ts', import.meta.url));

test('the upstream-client benchmark measures both clients and prints their ratio', { timeout: 60_000 }, () => {
  const out = execFileSync(process.execPath, [SCRIPT, '--requests', '25000', '--rounds', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const row = (name: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`| ${name}`));
    assert.ok(line, `a row for ${name} in:\n${out}`);
    const cells = line.split('|').map((c) => c.trim());
    return { user: Number(cells[2]), total: Number(cells[4]) };
  };
  for (const name of ['tollgate', 'undici']) {
    const r = row(name);
    assert.ok(r.user > 0 && r.total >= r.user, `${name}: ${JSON.stringify(r)}`);
  }
  assert.match(out, /tollgate \/ undici: user CPU \d+\.\d+×, total CPU \d+\.\d+×, req\/s \d+\.\d+×/);
});
