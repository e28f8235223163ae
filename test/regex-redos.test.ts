/**
 * Route regexes have a bounded matching cost, through `bin/tollgate` (issue 15, item 4): a route
 * `~/redos/(a+)+$` hit by requests built to backtrack catastrophically must not freeze the workers, and an
 * exponential pattern the linear-time engine cannot run is refused when the configuration is read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTollgate, startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

/** A GET answered within a generous limit (a frozen worker never answers): the status, or 0 on timeout. */
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

describe('route regexes have a bounded matching cost', { timeout: 180_000 }, () => {
  let up: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    up = await startUpstream('redos');
    node = await startTollgate({
      workers: 2,
      config: `_format_version: "3.0"
services:
  - name: s
    url: http://127.0.0.1:${up.port}
    routes:
      - { name: evil, paths: ["~/redos/(a+)+$"] }
      - { name: normal, paths: [/normal] }
`,
    });
  });

  after(async () => {
    await node?.stop();
    await up?.close();
  });

  test('other routes keep serving while the catastrophic pattern is hit', async () => {
    // Each of these takes hours on a backtracking engine (the issue froze both workers with 38 bytes).
    const evil = Array.from({ length: 8 }, (_, k) => get(node.proxyPort, `/redos/${'a'.repeat(40 + k)}!`));
    const normal: number[] = [];
    for (let k = 0; k < 20 && normal.at(-1) !== 0; k++) normal.push(await get(node.proxyPort, '/normal'));
    assert.deepEqual(normal, Array(20).fill(200), 'every request to another route was answered');
    assert.deepEqual(await Promise.all(evil), Array(8).fill(404), 'the evil requests were answered too (no match)');
    assert.equal(await get(node.proxyPort, `/redos/${'a'.repeat(40)}`), 200, 'the regex still matches what it should');
  });
});

describe('an exponential regex the linear-time engine cannot run is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-redos-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('config parse names the route path, the nested repetition and the fix', async () => {
    const file = join(dir, 'tollgate.yml');
    writeFileSync(file, `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:9\n    routes:\n      - { name: r, paths: ["~/redos/(?=a)(a+)+$"] }\n`);
    const result = await runTollgate(['config', 'parse', file]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /invalid regex: '\/redos\/\(\?=a\)\(a\+\)\+\$' \(regex "\/redos\/\(\?=a\)\(a\+\)\+\$" can backtrack catastrophically: "\(a\+\)\+" repeats a repeated pattern, and its lookahead assertions keep it off the linear-time engine that bounds the cost of other regexes; remove the nested repetition/);
  });
});
