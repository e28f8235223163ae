/**
 * A worker that dies is still the supervisor's until its exit is noticed: whatever the supervisor sends it
 * meanwhile (the stats GET / and /status ask every worker for, a configuration, health) must not take the node
 * down. Kills workers while the Admin API is asked, through a real node with two workers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

let node: TollgateNode;
before(async () => {
  node = await startTollgate({ config: '_format_version: "3.0"\n', workers: 2 });
});
after(async () => {
  await node?.stop();
});

async function workers(): Promise<number[]> {
  const res = await request(`${node.admin}/`);
  return ((await res.body.json()) as { pids: { workers: number[] } }).pids.workers;
}

test('killing workers while the Admin API asks them for stats leaves the node up', async () => {
  for (let round = 0; round < 6; round++) {
    const pids = await workers();
    assert.equal(pids.length, 2);
    const victim = pids[round % 2];
    // Asked right after the kill: the supervisor still lists the dead worker and sends it a stats request.
    process.kill(victim, 'SIGKILL');
    const answers = await Promise.all(Array.from({ length: 4 }, () => request(`${node.admin}/status`).then(async (r) => { await r.body.text(); return r.statusCode; }, () => 0)));
    assert.ok(answers.every((s) => s === 200), `answers ${answers.join(', ')}: ${node.output().slice(-2000)}`);
    await waitUntil(async () => {
      const now = await workers();
      return now.length === 2 && !now.includes(victim);
    }, 20_000, 'a replacement worker');
  }
  assert.equal(node.proc.exitCode, null, node.output().slice(-2000));
  assert.equal((await request(`${node.status}/status/ready`)).statusCode, 200);
});
