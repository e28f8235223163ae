import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from './load-settings.ts';
import { SettingsError } from './settings-error.ts';
import { settingsView } from './settings-view.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-settings-refs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, text);
  return path;
}

function problems(text: string, env: Record<string, string>): readonly string[] {
  try {
    loadSettings({ confPath: conf(text), env });
  } catch (error) {
    assert.ok(error instanceof SettingsError);
    return error.problems;
  }
  assert.fail('expected the load to fail');
}

test('settings given as env or file references are resolved at start', () => {
  writeFileSync(join(dir, 'pg-user'), 'kong\n');
  const settings = loadSettings({
    confPath: conf(`pg_password = {vault://env/pg-password}\npg_user = {vault://file/pg-user?base_path=${dir}}\n`),
    env: { PG_PASSWORD: 'from-env', TOLLGATE_PG_PORT: '{vault://env/pg-port}', PG_PORT: '6432' },
  });
  assert.equal(settings.pg_password, 'from-env');
  assert.equal(settings.pg_user, 'kong');
  assert.equal(settings.pg_port, 6432);
  // GET / shows what was configured: the reference, or the placeholder for a secret (Kong's remove_sensitive).
  const view = settingsView(settings);
  assert.equal(view.pg_user, `{vault://file/pg-user?base_path=${dir}}`);
  assert.equal(view.pg_port, '{vault://env/pg-port}');
  assert.equal(view.pg_password, '******');
});

test('a reference that cannot be resolved stops the start, naming the setting and the reference, never a secret', () => {
  const missing = problems('pg_password = {vault://env/pg-password}\n', {});
  assert.equal(missing.length, 1);
  assert.match(missing[0], /pg_password: failed to dereference '\{vault:\/\/env\/pg-password\}': could not get value from external vault \(no value found\)/);
  // Kong's `failed to dereference`, once: the unresolved text is not also reported as an invalid value.
  const typed = problems('real_ip_header = {vault://env/ipheader}\n', {});
  assert.deepEqual(typed.length, 1, typed.join('\n'));
  assert.match(typed[0], /real_ip_header: failed to dereference '\{vault:\/\/env\/ipheader\}'/);
  const entity = problems('pg_password = {vault://my-vault/pg}\n', {});
  assert.match(entity[0], /only the env and file vaults can be used in settings/);
  const invalid = problems('pg_port = {vault://env/pg-port}\n', { PG_PORT: 'secret-not-a-port' });
  assert.ok(!invalid.join('\n').includes('secret-not-a-port'), invalid.join('\n'));
});
