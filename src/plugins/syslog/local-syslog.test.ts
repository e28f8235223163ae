import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalSyslog } from './local-syslog.ts';

test('without a daemon: the failure is logged, and records are dropped instead of starting logger per record', async () => {
  const lines: string[] = [];
  const s = new LocalSyslog('/nonexistent/tollgate-test.sock');
  s.log.write = (_level, message) => lines.push(message);
  s.send(14, '{"a":1}');
  const deadline = Date.now() + 10_000;
  while ((s.running || lines.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(s.running, false, 'logger exited');
  assert.match(lines.join('\n'), /nonexistent/);
  for (let i = 0; i < 10; i++) s.send(14, '{"a":1}');
  assert.equal(s.running, false, 'not started again at once');
  assert.equal(s.dropped, 10);
});
