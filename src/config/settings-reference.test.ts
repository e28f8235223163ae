import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTING_DEFINITIONS } from './definitions.ts';
import { renderSettingsReference } from './settings-reference.ts';

const table = renderSettingsReference();
const rows = table.trimEnd().split('\n');

test('a header, a separator and one row per key, in definition order', () => {
  assert.equal(rows[0], '| key | type | default | description |');
  assert.equal(rows[1], '|---|---|---|---|');
  assert.equal(rows.length, SETTING_DEFINITIONS.length + 2);
  SETTING_DEFINITIONS.forEach((definition, i) => assert.ok(rows[i + 2].startsWith(`| \`${definition.name}\` |`), definition.name));
});

test('every row has exactly four cells (pipes inside cells are escaped)', () => {
  for (const row of rows) assert.equal(row.split(/(?<!\\)\|/).length, 6, row);
});

test('defaults, enum values and secrets are shown', () => {
  const row = (name: string): string => rows.find((r) => r.startsWith(`| \`${name}\` |`)) ?? assert.fail(name);
  assert.match(row('log_level'), /one of `debug`, `info`, `notice`, `warn`, `error`, `crit`, `alert`, `emerg` \| `notice` \|/);
  assert.match(row('node_id'), /\| uuid \| \(unset\) \|/);
  assert.match(row('proxy_listen'), /`0\.0\.0\.0:8000 reuseport backlog=16384, 0\.0\.0\.0:8443 http2 ssl reuseport backlog=16384`/);
  assert.match(row('pg_password'), /Secret: shown as `\*\*\*\*\*\*`\. \|$/);
  assert.doesNotMatch(row('pg_user'), /Secret/);
});

test('every definition has a description, and enum defaults are among their values', () => {
  for (const definition of SETTING_DEFINITIONS) {
    assert.ok(definition.description.length > 10, definition.name);
    if (definition.type === 'enum') assert.ok(definition.values?.includes(definition.default), definition.name);
  }
});
