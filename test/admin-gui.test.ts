/**
 * Kong Manager's listener (`admin_gui_listen`) through bin/tollgate: kconfig.js, the files of a build with the
 * base placeholder rewritten, the single-page fallback, TLS, `GET /`'s admin_gui_listeners, and the Admin API's
 * CORS answer when `admin_gui_url` is set. The "build" is a small stand-in directory written by the test (Kong
 * Manager itself is not on the npm registry).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminCall } from './helpers/admin-call.ts';
import { freePort } from './helpers/ports.ts';
import { runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';

function httpsGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Kong Manager listener with a build, under /manager', () => {
  let node: TollgateNode;
  let dir: string;
  let gui: string;
  let guiSsl: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-gui-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<html><script src="/__km_base__/kconfig.js"></script><script src="/__km_base__/assets/app.js"></script></html>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'import("/__km_base__/assets/chunk.js");');
    writeFileSync(join(dir, 'assets', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x2f, 0x5f]));
    writeFileSync(join(tmpdir(), 'tollgate-gui-secret.txt'), 'outside the build');
    const [plain, secure] = [await freePort(), await freePort()];
    gui = `http://127.0.0.1:${plain}`;
    guiSsl = `https://127.0.0.1:${secure}`;
    node = await startTollgate({
      env: {
        TOLLGATE_DATABASE: 'sqlite',
        TOLLGATE_ADMIN_GUI_LISTEN: `127.0.0.1:${plain}, 127.0.0.1:${secure} ssl`,
        TOLLGATE_ADMIN_GUI_PATH: '/manager',
        TOLLGATE_ADMIN_GUI_DIR: dir,
        TOLLGATE_ADMIN_GUI_URL: `http://gui.example:8002/manager`,
      },
    });
  });
  after(async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kconfig.js tells Kong Manager where the Admin API is, as Kong writes it', async () => {
    const res = await fetch(`${gui}/manager/kconfig.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/javascript/);
    const text = await res.text();
    assert.match(text, /^window\.K_CONFIG = \{\n/);
    assert.ok(text.includes(`'ADMIN_API_PORT': '${node.adminPort}'`), text);
    assert.ok(text.includes(`'ADMIN_GUI_PATH': '/manager'`), text);
    assert.ok(text.includes(`'ADMIN_API_URL': ''`), text);
    assert.ok(text.includes(`'ANONYMOUS_REPORTS': 'false'`), text);
  });

  test('the build is served with its base placeholder rewritten; client-side routes get index.html', async () => {
    const index = await fetch(`${gui}/manager/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.ok(html.includes('src="/manager/assets/app.js"'), html);
    assert.equal(index.headers.get('x-frame-options'), 'sameorigin');
    const app = await fetch(`${gui}/manager/assets/app.js`);
    assert.equal(await app.text(), 'import("/manager/assets/chunk.js");');
    const png = await fetch(`${gui}/manager/assets/logo.png`);
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.deepEqual([...new Uint8Array(await png.arrayBuffer())], [0x89, 0x50, 0x4e, 0x47, 0x00, 0x2f, 0x5f]);
    const route = await fetch(`${gui}/manager/services/1234/routes`);
    assert.equal(route.status, 200);
    assert.equal(await route.text(), html);
    assert.equal((await fetch(`${gui}/manager/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${gui}/elsewhere`)).status, 404);
    assert.equal((await fetch(`${gui}/manager/robots.txt`)).status, 200);
  });

  test('nothing outside the build directory is served', async () => {
    for (const path of ['/manager/%2e%2e/tollgate-gui-secret.txt', '/manager/..%2ftollgate-gui-secret.txt', '/manager/assets/..%2f..%2ftollgate-gui-secret.txt']) {
      const res = await fetch(`${gui}${path}`);
      assert.ok(!(await res.text()).includes('outside the build'), path);
    }
  });

  test('the ssl listener serves the same', async () => {
    const res = await httpsGet(`${guiSsl}/manager/kconfig.js`);
    assert.equal(res.status, 200);
    assert.ok(res.body.includes(`'ADMIN_API_PORT': '${node.adminPort}'`));
  });

  test('GET / lists the listeners; the Admin API answers browsers from admin_gui_url only', async () => {
    const info = await adminCall(node.admin, 'GET', '/');
    const listeners = (info.body?.configuration as { admin_gui_listeners: { port: number; ssl: boolean }[] }).admin_gui_listeners;
    assert.deepEqual(
      listeners.map((l) => [l.port, l.ssl]),
      [
        [Number(new URL(gui).port), false],
        [Number(new URL(guiSsl).port), true],
      ],
    );
    const allowed = await fetch(`${node.admin}/services`, { headers: { Origin: 'http://gui.example:8002' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://gui.example:8002');
    const other = await fetch(`${node.admin}/services`, { headers: { Origin: 'http://elsewhere.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), 'http://gui.example:8002');
  });
});

describe('Kong Manager listener without a build', () => {
  let node: TollgateNode;
  let gui: string;
  before(async () => {
    const port = await freePort();
    gui = `http://127.0.0.1:${port}`;
    node = await startTollgate({ env: { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_ADMIN_GUI_LISTEN: `127.0.0.1:${port}` } });
  });
  after(async () => {
    await node?.stop();
  });

  test('kconfig.js is served for a Kong Manager running elsewhere; pages say what to install where', async () => {
    assert.equal((await fetch(`${gui}/kconfig.js`)).status, 200);
    const page = await fetch(`${gui}/`);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /Kong Manager is not installed: put a Kong Manager OSS build .* in .*gui \(admin_gui_dir\)/);
    // Any origin is echoed when admin_gui_url is unset, as Kong.
    const res = await fetch(`${node.admin}/`, { headers: { Origin: 'http://localhost:8080' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8080');
  });
});

test('a bad admin_gui_path stops the start with the key and the reason', async () => {
  const r = await runTollgate(['start'], { TOLLGATE_ADMIN_GUI_PATH: '/manager/', TOLLGATE_PREFIX: mkdtempSync(join(tmpdir(), 'tollgate-gui-bad-')) });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /TOLLGATE_ADMIN_GUI_PATH: invalid value for 'admin_gui_path' \('\/manager\/'\): must not end with a slash/);
});
