import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTollgate } from './helpers/tollgate.ts';

const DOC = fileURLToPath(new URL('../docs/load-balancing.md', import.meta.url));

test('the worked example of docs/load-balancing.md is a valid declarative file', async () => {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'))?.[1];
  assert.ok(yaml, 'the page has a yaml block');
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-doc-')), 'example.yml');
  writeFileSync(file, yaml);
  const r = await runTollgate(['config', 'parse', file]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
