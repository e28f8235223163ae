import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLogSink } from './file-sink.ts';

test('lines reach the file relative to the prefix, in order, across flushes', () => {
  const prefix = mkdtempSync(join(tmpdir(), 'sink-'));
  const sink = openLogSink('logs/test.log', prefix);
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) lines.push(`line ${i} ${'é'.repeat(i % 7)}\n`);
  for (const l of lines) sink.write(l);
  sink.write(`${'x'.repeat(300_000)}\n`);
  sink.close();
  const text = readFileSync(join(prefix, 'logs', 'test.log'), 'utf8');
  assert.equal(text, lines.join('') + `${'x'.repeat(300_000)}\n`);
});

test('off drops everything', () => {
  const sink = openLogSink('off', '/nonexistent');
  sink.write('nothing\n');
  sink.close();
});
