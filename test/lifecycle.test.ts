import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runTollgate, startTollgate, waitUntil } from './helpers/tollgate.ts';
import { startUpstream, type Echo } from './helpers/upstream.ts';

describe('node lifecycle', () => {
  test('an unknown setting stops the start with the key', async () => {
    const r = await runTollgate(['start'], { TOLLGATE_NO_SUCH_THING: '1', TOLLGATE_PREFIX: mkdtempSync(join(tmpdir(), 'tg-')) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no_such_thing/);
  });

  test('a bad value stops the start with the key, the value and the reason', async () => {
    const r = await runTollgate(['start'], { TOLLGATE_WORKER_PROCESSES: 'lots', TOLLGATE_PREFIX: mkdtempSync(join(tmpdir(), 'tg-')) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /worker_processes/);
    assert.match(r.stderr, /lots/);
  });

  test('a bad declarative file is refused at start with the file, the path in it and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-'));
    const file = join(dir, 'bad.yml');
    writeFileSync(file, '_format_version: "3.0"\nservices:\n  - name: s\n    host: example.com\n    routes:\n      - paths: ["/ok", "no-slash"]\n');
    const r = await runTollgate(['start'], { TOLLGATE_DATABASE: 'off', TOLLGATE_DECLARATIVE_CONFIG: file, TOLLGATE_PREFIX: dir });
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /services/);
    assert.match(r.stderr, /routes/);
    assert.match(r.stderr, /should start with: \/ \(fixed path\) or ~\/ \(regex path\)/);
  });

  test('SIGHUP re-reads the declarative file; a broken file leaves the old one serving', async () => {
    const up = await startUpstream('hup');
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/one"]\n`,
    });
    try {
      const file = join(node.prefix, 'tollgate.yml');
      assert.equal((await request(`${node.proxy}/one`)).statusCode, 200);
      writeFileSync(file, `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/two"]\n`);
      node.proc.kill('SIGHUP');
      await waitUntil(async () => (await request(`${node.proxy}/two`)).statusCode === 200, 5000, 'the new route');
      assert.equal((await request(`${node.proxy}/one`)).statusCode, 404);
      writeFileSync(file, `_format_version: "3.0"\nservices:\n  - name: s\n    port: "eighty"\n`);
      node.proc.kill('SIGHUP');
      await waitUntil(() => /SIGHUP: .* is invalid/.test(node.output()), 5000, 'the error log line');
      assert.equal((await request(`${node.proxy}/two`)).statusCode, 200);
    } finally {
      await node.stop();
      await up.close();
    }
  });

  test('SIGTERM lets in-flight requests finish, then exits 0', async () => {
    const up = await startUpstream('slow');
    const node = await startTollgate({
      config: `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${up.port}\n    routes:\n      - paths: ["/"]\n        strip_path: false\n`,
    });
    const pidFile = join(node.prefix, 'tollgate.pid');
    assert.ok(existsSync(pidFile));
    assert.equal(Number(readFileSync(pidFile, 'utf8')), node.proc.pid);
    const inflight = request(`${node.proxy}/delay/700`);
    await new Promise((r) => setTimeout(r, 200));
    const stopped = node.stop('SIGTERM');
    const res = await inflight;
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as Echo).url, '/delay/700');
    assert.equal(await stopped, 0);
    await up.close();
  });

  test('config parse checks a file and exits 0 or 1 with every error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-'));
    const good = join(dir, 'good.yml');
    writeFileSync(good, '_format_version: "3.0"\nservices:\n  - name: a\n    url: http://example.com\n');
    const ok = await runTollgate(['config', 'parse', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /parse successful/);
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, '_format_version: "3.0"\nservices:\n  - name: a\n    port: 99999\n  - name: b\n    host: x\n    retries: -1\n');
    const ko = await runTollgate(['config', 'parse', bad]);
    assert.equal(ko.code, 1);
    assert.match(ko.stderr, /in entry 1 of 'services':\n\s+in 'host': required field missing/);
    assert.match(ko.stderr, /value should be between 0 and 65535/);
    assert.match(ko.stderr, /in entry 2 of 'services':\n\s+in 'retries': value should be between 0 and 32767/);
  });

  test('config init writes an example that parses, and refuses to overwrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-'));
    const r = await runTollgate(['config', 'init'], {}, dir);
    assert.equal(r.code, 0, r.stderr);
    const file = join(dir, 'tollgate.yml');
    assert.ok(existsSync(file));
    const parsed = await runTollgate(['config', 'parse', file]);
    assert.equal(parsed.code, 0, parsed.stderr);
    const again = await runTollgate(['config', 'init'], {}, dir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  });
});
