/**
 * Property (fixed seed): for generated configurations full of strings that other YAML rules read as other types
 * (`off`, `on`, `yes`, `null`, `~`, numbers as strings, dates), unicode and long strings, an export loads back
 * to the same configuration and exports to the same text: export -> parse -> load -> export is the identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportDeclarative, loadDeclarative, type FlatConfig } from './index.ts';
import { parseDeclarativeText } from './parse.ts';
import { TRICKY_WORDS, generateDocument, random } from '../../test/support/yaml-configurations.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// The generated configurations nest key-auth credentials under consumers, as on a node that enables it.
registerPlugins(BUNDLED_PLUGINS);

function load(input: string | Record<string, unknown>): FlatConfig {
  const result = loadDeclarative(input, { now: 1_700_000_000_000 });
  if (!result.ok) assert.fail(`did not load: ${JSON.stringify(result.error).slice(0, 2000)}`);
  return result.config;
}

test('export -> parse -> load -> export is the identity over generated configurations', () => {
  const rnd = random(0x12a);
  for (let round = 0; round < 150; round++) {
    const original = load(generateDocument(rnd));
    const first = exportDeclarative(original);
    const parsed = parseDeclarativeText(first, 'export.yml');
    assert.ok(parsed.ok, `round ${round}: the export does not parse: ${parsed.ok ? '' : parsed.error}\n${first}`);
    const reloaded = load(first);
    assert.deepEqual(reloaded, original, `round ${round}: the export loads differently\n${first}`);
    assert.equal(exportDeclarative(reloaded), first, `round ${round}: a second export differs`);
  }
});

test('strings that YAML 1.1 or 1.2 read as other types are written quoted', () => {
  const config = load({ _format_version: '3.0', consumers: TRICKY_WORDS.filter((w) => w !== '').map((username) => ({ username })) });
  const text = exportDeclarative(config);
  for (const word of ['off', 'on', 'yes', 'no', 'null', '~', '1', '007', '0x1F', '1e3', '3.0', '.inf', '2001-12-14', '1:20', 'y', 'n']) {
    assert.ok(!text.includes(`username: ${word}\n`), `'${word}' is written plain:\n${text}`);
  }
  assert.deepEqual(load(text).consumers.map((c) => c.username).sort(), config.consumers.map((c) => c.username).sort());
});
