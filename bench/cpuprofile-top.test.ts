import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { findProfileFiles, formatTop, readProfiles, selfTimeByNode, summarizeProfiles } from './cpuprofile-top.ts';
import type { CpuProfile } from './cpuprofile-top.ts';

function frame(functionName: string, url = '', lineNumber = -1) {
  return { functionName, url, lineNumber, columnNumber: 0 };
}

// (root) -> parse -> lower; plus (idle). Sample k is charged until the next sample.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('parse', 'file:///app/src/parse.ts', 9) },
    { id: 3, callFrame: frame('lower', 'file:///app/src/parse.ts', 19) },
    { id: 4, callFrame: frame('(idle)') },
  ],
  startTime: 1000,
  endTime: 1700,
  samples: [2, 3, 3, 4, 2],
  timeDeltas: [0, 100, 100, 100, 300], // stamps 1000, 1100, 1200, 1300, 1600
};

test('each sample is charged the time until the next one, the last one until the end', () => {
  const perNode = selfTimeByNode(profile);
  assert.equal(perNode.get(2), 100 + 100); // 1000→1100 and 1600→1700
  assert.equal(perNode.get(3), 200);
  assert.equal(perNode.get(4), 300);
});

test('without samples, hit counts share the profile duration', () => {
  const hits: CpuProfile = { nodes: [{ id: 1, callFrame: frame('a'), hitCount: 3 }, { id: 2, callFrame: frame('b'), hitCount: 1 }], startTime: 0, endTime: 400 };
  assert.deepEqual([...selfTimeByNode(hits)], [[1, 300], [2, 100]]);
});

test('functions are summed across profiles, sorted, idle kept apart, locations relative and 1-based', () => {
  const summary = summarizeProfiles([profile, profile], '/app');
  assert.equal(summary.profileCount, 2);
  assert.equal(summary.totalMicros, 1400);
  assert.equal(summary.idleMicros, 600);
  assert.deepEqual(summary.functions.map((f) => [f.functionName, f.location, f.selfMicros]), [
    ['parse', 'src/parse.ts:10:1', 400],
    ['lower', 'src/parse.ts:20:1', 400],
  ]);
  const text = formatTop(summary, 1);
  assert.match(text, /2 profile\(s\), 0\.00 s sampled/);
  assert.match(text, /\(43% idle\)/);
  assert.match(text, / 50\.0%  parse  \(src\/parse\.ts:10:1\)/);
  assert.doesNotMatch(text, /lower/);
});

test('finds the hot function in a real --cpu-prof profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cpuprofile-test-'));
  try {
    const script = 'function spinHotLoop() { let x = 0; const end = Date.now() + 300; while (Date.now() < end) x += Math.sqrt(x + 1); return x; } spinHotLoop();';
    const run = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-e', script]);
    assert.equal(run.status, 0);
    writeFileSync(join(dir, 'notes.txt'), 'not a profile');
    const files = findProfileFiles([dir]);
    assert.equal(files.length, 1);
    assert.deepEqual(readdirSync(dir).length, 2);
    const summary = summarizeProfiles(readProfiles(files));
    assert.equal(summary.functions[0].functionName, 'spinHotLoop');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
