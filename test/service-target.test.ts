/**
 * `kong.service.set_target` and `kong.service.request.set_scheme` through bin/tollgate: a plugin sends the request
 * to a peer it names (bypassing the service's upstream and its balancer) or switches it to HTTPS, with the
 * service's connection settings; invalid arguments answer Kong's 500 and name the call in the error log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTollgate, waitUntil, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

/** Reads the target from request headers; a test plugin written to plugin_paths, as a user would. */
const PICK_TARGET = `
export default {
  schema: { name: 'pick-target', config: { type: 'record', fields: {} } },
  handler: {
    name: 'pick-target',
    priority: 500,
    access(kong) {
      const port = kong.request.getHeader('x-target-port');
      if (port !== undefined && port !== null) kong.service.setTarget(kong.request.getHeader('x-target-host') ?? '127.0.0.1', Number(port));
      const scheme = kong.request.getHeader('x-target-scheme');
      if (scheme !== undefined && scheme !== null) kong.service.request.setScheme(scheme);
    },
  },
};
`;

let dir: string;
let service: TestUpstream;
let other: TestUpstream;
let secure: Server;
let securePort: number;
let node: TollgateNode;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-target-'));
  writeFileSync(join(dir, 'pick-target.mjs'), PICK_TARGET);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  secure = createServer({ cert: readFileSync(join(dir, 'c.pem')), key: readFileSync(join(dir, 'k.pem')) }, (req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ upstream: 'secure', host: req.headers.host }));
  });
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  securePort = (secure.address() as AddressInfo).port;
  service = await startUpstream('service');
  other = await startUpstream('other');
  node = await startTollgate({
    env: { TOLLGATE_PLUGINS: 'bundled, pick-target', TOLLGATE_PLUGIN_PATHS: dir },
    config: `_format_version: "3.0"
upstreams:
  - name: balanced
    targets: [{ target: 127.0.0.1:${service.port} }]
services:
  - name: s
    url: http://balanced/base
    routes: [{ name: r, paths: [/t] }]
    plugins: [{ name: pick-target }]
`,
  });
});

after(async () => {
  await node?.stop();
  await service?.close();
  await other?.close();
  await new Promise((r) => secure?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function get(headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${node.proxy}/t/x`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('without a choice the balancer picks the upstream target', async () => {
  const r = await get({});
  assert.equal(r.status, 200);
  assert.equal(r.body.server, 'service');
  assert.equal(r.body.url, '/base/x');
});

test('set_target sends the request to the named peer, with its Host', async () => {
  const r = await get({ 'X-Target-Port': String(other.port) });
  assert.equal(r.status, 200);
  assert.equal(r.body.server, 'other');
  assert.equal(r.body.url, '/base/x');
  assert.equal((r.body.headers as Record<string, string>).host, `127.0.0.1:${other.port}`);
  // Connections are pooled per chosen peer: many requests keep working.
  for (let i = 0; i < 20; i++) assert.equal((await get({ 'X-Target-Port': String(other.port) })).body.server, 'other');
});

test('set_scheme switches to HTTPS (with set_target naming the HTTPS peer)', async () => {
  const r = await get({ 'X-Target-Port': String(securePort), 'X-Target-Scheme': 'https' });
  assert.equal(r.status, 200);
  assert.equal(r.body.upstream, 'secure');
});

test('invalid arguments answer 500 and the error log names the call', async () => {
  const badPort = await fetch(`${node.proxy}/t/x`, { headers: { 'X-Target-Port': '70000' } });
  assert.equal(badPort.status, 500);
  const badHost = await fetch(`${node.proxy}/t/x`, { headers: { 'X-Target-Port': '80', 'X-Target-Host': 'a/b' } });
  assert.equal(badHost.status, 500);
  const badScheme = await fetch(`${node.proxy}/t/x`, { headers: { 'X-Target-Scheme': 'ftp' } });
  assert.equal(badScheme.status, 500);
  await waitUntil(() => node.output().includes('kong.service.set_target: port must be an integer between 0 and 65535'), 5000);
  await waitUntil(() => node.output().includes('kong.service.set_target: host must be a host name or an IP address'), 5000, 'the bad host line');
  await waitUntil(() => node.output().includes("kong.service.request.set_scheme: invalid scheme 'ftp'"), 5000, 'the bad scheme line');
});
