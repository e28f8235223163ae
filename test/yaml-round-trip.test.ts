/**
 * `db_export` -> `config parse` -> `db_import` -> `db_export` gives the same file (but for `updated_at`, which
 * every import stamps), through `bin/tollgate` on
 * SQLite, for generated configurations full of strings YAML readers type differently (`off`, `on`, `yes`,
 * `null`, numbers as strings), unicode and long strings (fixed seeds; see src/declarative/round-trip.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate } from './helpers/tollgate.ts';
import { generateDocument, random } from './support/yaml-configurations.ts';

for (const seed of [1, 2, 3]) {
  test(`export, parse, import and export again give the same file (seed ${seed})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-yaml-'));
    try {
      const first = { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: join(dir, 'first') };
      const second = { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_PREFIX: join(dir, 'second') };
      const source = join(dir, 'source.json');
      const doc = generateDocument(random(seed));
      // The instance, always present: a service named `off` tagged `on`.
      for (const service of doc.services as Array<Record<string, unknown>>) if (service.name === 'off') service.name = 'off-generated';
      (doc.services as Array<Record<string, unknown>>).push({ name: 'off', host: 'upstream.test', tags: ['on', 'yes', 'null', '123'] });
      writeFileSync(source, JSON.stringify(doc));
      for (const env of [first, second]) {
        const boot = await runTollgate(['migrations', 'bootstrap'], env);
        assert.equal(boot.code, 0, boot.stderr);
      }
      const imported = await runTollgate(['config', 'db_import', source], first);
      assert.equal(imported.code, 0, imported.stderr);
      const exported = join(dir, 'export.yml');
      const exportRun = await runTollgate(['config', 'db_export', exported], first);
      assert.equal(exportRun.code, 0, exportRun.stderr);
      const text = readFileSync(exported, 'utf8');
      assert.match(text, /name: "off"/);
      const parsed = await runTollgate(['config', 'parse', exported]);
      assert.equal(parsed.code, 0, `${parsed.stderr}\n${text}`);
      const reimported = await runTollgate(['config', 'db_import', exported], second);
      assert.equal(reimported.code, 0, `${reimported.stderr}\n${text}`);
      const again = await runTollgate(['config', 'db_export'], second);
      assert.equal(again.code, 0, again.stderr);
      // Every import stamps updated_at with its own time (as Kong's does); everything else is the same text.
      const unstamped = (yaml: string) => yaml.replace(/^(\s*)updated_at: \d+$/gm, '$1updated_at: (import time)');
      assert.equal(unstamped(again.stdout), unstamped(text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
