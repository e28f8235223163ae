import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OPENAPI_FILE, currentOpenApiText } from '../scripts/update-openapi.ts';

test('docs/openapi.json matches the route table and entity schemas (npm run docs:openapi)', () => {
  assert.equal(readFileSync(OPENAPI_FILE, 'utf8'), currentOpenApiText());
});
