import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kong } from '../../pdk/index.ts';
import { fileLogHandler } from './handler.ts';
import type { FileLogConfig } from './schema.ts';

/** Just the parts of the PDK file-log's log phase touches; counts the records it builds. */
function logKong(recordBytes: number): { kong: Kong; built: () => number; lines: string[] } {
  let built = 0;
  const lines: string[] = [];
  const kong = {
    node: { getErrorLog: () => (_level: string, message: string) => void lines.push(message) },
    log: {
      serialize: () => {
        built++;
        return { n: built, big: 'v'.repeat(recordBytes) };
      },
      setSerializeValue: () => {},
    },
  } as unknown as Kong;
  return { kong, built: () => built, lines };
}

test('a full buffer: no record is built, drops counted and reported once; once written, records are built again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-file-log-'));
  try {
    const path = join(dir, 'full.log');
    const conf = fileLogHandler.prepare!({ path, reopen: false } as unknown as FileLogConfig, undefined as never);
    const recordBytes = 512 * 1024;
    const { kong, built, lines } = logKong(recordBytes);
    // Synchronously: nothing is written before this loop ends, so everything waits in the 16 MiB buffer.
    for (let i = 0; i < 1000; i++) fileLogHandler.log!(kong, conf);
    const fitted = built();
    // As many records (each the big string plus a little JSON) as the buffer holds, and not one more.
    const max = 16 * 1024 * 1024;
    assert.ok(fitted * recordBytes <= max && (fitted + 1) * (recordBytes + 1024) > max, `${fitted} records built`);
    assert.equal(conf.writer.dropped, 1000 - fitted);
    assert.equal(lines.filter((l) => l.includes('writes are not keeping up')).length, 1, 'one report per interval');
    const deadline = Date.now() + 30_000;
    while (!conf.writer.flushed) {
      assert.ok(Date.now() < deadline, 'the buffer is written');
      await new Promise((r) => setTimeout(r, 20));
    }
    fileLogHandler.log!(kong, conf);
    assert.equal(built(), fitted + 1);
    while (!conf.writer.flushed) {
      assert.ok(Date.now() < deadline, 'the last record is written');
      await new Promise((r) => setTimeout(r, 20));
    }
    const written = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
    assert.deepEqual(written, Array.from({ length: fitted + 1 }, (_, i) => i + 1), 'the records that fitted, in order, then the new one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
