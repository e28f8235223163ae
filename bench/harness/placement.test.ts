import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planPlacement } from './placement.ts';

test('one worker on two CPUs: contestant alone on CPU 1, load and upstream on CPU 0', () => {
  const placement = planPlacement('auto', 2, 1);
  assert.equal(placement.targetCpus, '1');
  assert.equal(placement.loadCpus, '0');
  assert.equal(placement.upstreamCpus, '0');
  assert.equal(placement.allCpus, '0-1');
});

test('as many workers as CPUs: nothing pinned', () => {
  const placement = planPlacement('auto', 2, 2);
  assert.equal(placement.targetCpus, undefined);
  assert.equal(placement.loadCpus, undefined);
  assert.match(placement.description, /not pinned/);
});

test('--pin off never pins', () => {
  assert.equal(planPlacement('off', 8, 1).targetCpus, undefined);
});

test('larger machines give the contestant the last CPUs', () => {
  const placement = planPlacement('auto', 8, 2);
  assert.equal(placement.targetCpus, '6-7');
  assert.equal(placement.loadCpus, '0-5');
});
