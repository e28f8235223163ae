import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envVariableName, readSecret } from './vault-backends.ts';
import { parseReference, type VaultReference } from './vault-reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-vault-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ref(text: string): VaultReference {
  const parsed = parseReference(text);
  assert.ok(typeof parsed !== 'string', parsed as string);
  return parsed;
}

test('env: upper case, dashes as underscores, the vault prefix first, version 2 is _PREVIOUS', () => {
  assert.equal(envVariableName({}, 'my-secret', null), 'MY_SECRET');
  assert.equal(envVariableName({ prefix: 'app_' }, 'db-pass', null), 'APP_DB_PASS');
  assert.equal(envVariableName({}, 'my-secret', 2), 'MY_SECRET_PREVIOUS');
  const env = { MY_SECRET: 's3cret', APP_TOKEN: 't0ken', MY_SECRET_PREVIOUS: 'old', CREDS: '{"user":"ana","port":5432}' };
  assert.deepEqual(readSecret('env', {}, ref('{vault://env/my-secret}'), env), { ok: true, value: 's3cret' });
  assert.deepEqual(readSecret('env', { prefix: 'APP_' }, ref('{vault://env/token}'), env), { ok: true, value: 't0ken' });
  assert.deepEqual(readSecret('env', {}, ref('{vault://env/token?prefix=APP_}'), env), { ok: true, value: 't0ken' });
  assert.deepEqual(readSecret('env', {}, ref('{vault://env/my-secret#2}'), env), { ok: true, value: 'old' });
  assert.deepEqual(readSecret('env', {}, ref('{vault://env/creds/user}'), env), { ok: true, value: 'ana' });
  assert.deepEqual(readSecret('env', {}, ref('{vault://env/creds/port}'), env), { ok: true, value: '5432' });
});

test('errors name the reference and never the secret', () => {
  const env = { CREDS: '{"user":"ana"}', PLAIN: 'hunter2' };
  const missing = readSecret('env', {}, ref('{vault://env/nope}'), env);
  assert.deepEqual(missing, { ok: false, error: 'could not get value from external vault (no value found) [{vault://env/nope}]' });
  const noKey = readSecret('env', {}, ref('{vault://env/creds/password}'), env);
  assert.ok(!noKey.ok && noKey.error.includes('{vault://env/creds/password}') && !noKey.error.includes('ana'));
  const notJson = readSecret('env', {}, ref('{vault://env/plain/field}'), env);
  assert.ok(!notJson.ok && !notJson.error.includes('hunter2'));
});

test('file: reads <base_path>/<name> without its final line break; follows links that stay inside', () => {
  const base = join(dir, 'mounted');
  mkdirSync(join(base, '..data'), { recursive: true });
  writeFileSync(join(base, '..data', 'password'), 'p4ss\n');
  symlinkSync(join('..data', 'password'), join(base, 'password'));
  writeFileSync(join(base, 'creds.json'), '{"user":"bo"}');
  assert.deepEqual(readSecret('file', { base_path: base }, ref('{vault://files/password}'), {}), { ok: true, value: 'p4ss' });
  assert.deepEqual(readSecret('file', { base_path: base }, ref('{vault://files/creds.json/user}'), {}), { ok: true, value: 'bo' });
  const absent = readSecret('file', { base_path: base }, ref('{vault://files/absent}'), {});
  assert.deepEqual(absent, { ok: false, error: 'could not get value from external vault (ENOENT) [{vault://files/absent}]' });
});

test('file: path traversal is refused, by name and by link', () => {
  const base = join(dir, 'jail');
  mkdirSync(base, { recursive: true });
  writeFileSync(join(dir, 'outside'), 'not yours');
  symlinkSync(join(dir, 'outside'), join(base, 'escape'));
  for (const text of ['{vault://files/%2e%2e%2foutside}', '{vault://files/a%2f..%2f..%2foutside}', '{vault://files/escape}', `{vault://files/${encodeURIComponent(join(dir, 'outside'))}}`]) {
    const read = readSecret('file', { base_path: base }, ref(text), {});
    assert.deepEqual(read, { ok: false, error: `secret name leaves the vault's base_path [${text}]` }, text);
  }
  const noBase = readSecret('file', {}, ref('{vault://file/x}'), {});
  assert.ok(!noBase.ok && /absolute config.base_path/.test(noBase.error));
});
