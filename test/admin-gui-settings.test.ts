/**
 * Kong Manager's node settings through bin/tollgate: `admin_gui_csp_header` (the page's Content-Security-Policy,
 * with the Admin API's ports) and `admin_gui_access_log`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/ports.ts';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';

describe('admin_gui_csp_header and admin_gui_access_log', () => {
  let dir: string;
  let on: TollgateNode;
  let off: TollgateNode;
  let guiOn: string;
  let guiOff: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-gui-settings-'));
    writeFileSync(join(dir, 'index.html'), '<html></html>');
    const [a, b] = [await freePort(), await freePort()];
    guiOn = `http://127.0.0.1:${a}`;
    guiOff = `http://127.0.0.1:${b}`;
    const common = { TOLLGATE_DATABASE: 'sqlite', TOLLGATE_ADMIN_GUI_DIR: dir };
    on = await startTollgate({
      env: { ...common, TOLLGATE_ADMIN_GUI_LISTEN: `127.0.0.1:${a}`, TOLLGATE_ADMIN_GUI_CSP_HEADER: 'on', TOLLGATE_ADMIN_GUI_ACCESS_LOG: join(dir, 'gui_access.log') },
    });
    off = await startTollgate({ env: { ...common, TOLLGATE_ADMIN_GUI_LISTEN: `127.0.0.1:${b}` } });
  });
  after(async () => {
    await on?.stop();
    await off?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("with 'on', Kong Manager's page allows connections to its origin and the Admin API on the page's host", async () => {
    // fetch cannot set Host; node:http can.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      get(`${guiOn}/`, { headers: { Host: 'manager.example:9999' } }, resolve).once('error', reject);
    });
    res.resume();
    assert.equal(res.statusCode, 200);
    const csp = String(res.headers['content-security-policy'] ?? '');
    assert.match(csp, /^default-src 'self'; connect-src 'self' https:\/\/api\.github\.com\/repos\/kong\/kong http:\/\/manager\.example:(\d+);/);
    assert.equal(/http:\/\/manager\.example:(\d+)/.exec(csp)?.[1], String(on.adminPort));
  });

  test('off by default', async () => {
    const res = await fetch(`${guiOff}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), null);
  });

  test('admin_gui_access_log records Kong Manager requests', async () => {
    await fetch(`${guiOn}/kconfig.js`);
    await waitUntil(() => {
      try {
        return /"GET \/kconfig\.js HTTP\/1\.1" 200 /.test(readFileSync(join(dir, 'gui_access.log'), 'utf8'));
      } catch {
        return false;
      }
    }, 5000, 'the Kong Manager access log line');
  });
});
