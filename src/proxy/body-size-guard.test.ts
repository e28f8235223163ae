import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BodySizeGuard } from './body-size-guard.ts';

function pass(chunks: string[], maxBytes: number): Promise<{ out: string; exceeded: number; ended: boolean }> {
  return new Promise((resolve) => {
    const guard = new BodySizeGuard(maxBytes);
    let exceeded = 0;
    let out = '';
    let ended = false;
    guard.listener = { bodyLimitExceeded: () => exceeded++ };
    guard.on('data', (c: Buffer) => (out += c.toString()));
    guard.on('end', () => (ended = true));
    Readable.from(chunks.map((c) => Buffer.from(c))).pipe(guard);
    setTimeout(() => resolve({ out, exceeded, ended }), 50);
  });
}

test('a body within the bound passes whole and ends', async () => {
  assert.deepEqual(await pass(['abc', 'def'], 6), { out: 'abcdef', exceeded: 0, ended: true });
});

test('past the bound: told once, the crossing chunk and the rest held back, and the body never ends', async () => {
  assert.deepEqual(await pass(['abc', 'defg', 'hij'], 6), { out: 'abc', exceeded: 1, ended: false });
});
