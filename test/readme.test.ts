import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withReference } from '../scripts/update-readme.ts';
import { ROOT } from './helpers/tollgate.ts';

test('the README configuration reference matches the setting definitions (npm run docs)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.equal(readme, withReference(readme));
});
