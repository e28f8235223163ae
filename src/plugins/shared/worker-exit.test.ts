import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainAll, onWorkerExit } from './worker-exit.ts';

test('drains run at exit, each once, and a drain that never ends cannot hold the exit past the timeout', async () => {
  let ran = 0;
  const finite = async () => {
    ran++;
  };
  onWorkerExit(finite);
  onWorkerExit(finite);
  onWorkerExit(() => new Promise<void>(() => {}));
  // Resolves although one drain never ends.
  await drainAll(200);
  assert.equal(ran, 1);
});
