import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuModel } from './machine.ts';
import { findExecutable } from './tools.ts';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('cpuModel reads the model name line of /proc/cpuinfo', () => {
  assert.equal(cpuModel('processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n'), 'AMD EPYC 7B13');
  assert.equal(cpuModel('processor\t: 0\n'), 'unknown CPU');
});

test('findExecutable searches PATH and skips files that are not executable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tools-test-'));
  try {
    writeFileSync(join(dir, 'fake-tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'not-runnable'), 'x', { mode: 0o644 });
    assert.equal(findExecutable('fake-tool', `/nonexistent:${dir}`), join(dir, 'fake-tool'));
    assert.equal(findExecutable('not-runnable', dir), undefined);
    assert.equal(findExecutable('surely-not-a-real-program-xyz', dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('findExecutable also looks in the sbin directories, where nginx lives', { skip: existsSync('/usr/sbin/ldconfig') || existsSync('/sbin/ldconfig') ? false : 'no ldconfig in sbin' }, () => {
  assert.match(findExecutable('ldconfig', '') ?? '', /sbin\/ldconfig$/);
});
