import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoalescingRunner } from './coalescing-runner.ts';

/** A job whose runs finish only when the test says so. */
function gatedJob() {
  const gates: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const job = async () => {
    runs++;
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise<void>((resolve) => gates.push(resolve));
    active--;
  };
  return { job, gates, stats: () => ({ runs, maxActive }) };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('requests during a run are answered by exactly one more run, never by an overlapping one', async () => {
  const { job, gates, stats } = gatedJob();
  const runner = new CoalescingRunner(job);
  runner.request();
  await tick();
  runner.request();
  runner.request();
  runner.request();
  await tick();
  assert.deepEqual(stats(), { runs: 1, maxActive: 1 });
  gates.shift()!();
  await tick();
  assert.deepEqual(stats(), { runs: 2, maxActive: 1 }, 'one trailing run for the three requests');
  gates.shift()!();
  await runner.idle();
  assert.deepEqual(stats(), { runs: 2, maxActive: 1 });
});

test('a request after the runner went idle starts a new run', async () => {
  const { job, gates, stats } = gatedJob();
  const runner = new CoalescingRunner(job);
  runner.request();
  await tick();
  gates.shift()!();
  await runner.idle();
  runner.request();
  await tick();
  assert.equal(stats().runs, 2);
  gates.shift()!();
  await runner.idle();
});

test('a failing run does not stop the runs asked for after it', async () => {
  let calls = 0;
  const runner = new CoalescingRunner(async () => {
    calls++;
    if (calls === 1) {
      runner.request();
      throw new Error('database unreachable');
    }
  });
  runner.request();
  await runner.idle();
  assert.equal(calls, 2);
  runner.request();
  await runner.idle();
  assert.equal(calls, 3);
});
