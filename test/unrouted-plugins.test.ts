/**
 * Requests no route matched still pass through the global plugins, as in Kong: rewrite, then Kong's 404 through
 * header_filter, body_filter and log; access does not run (routing failed before it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

let node: TollgateNode;
let up: TestUpstream;

before(async () => {
  up = await startUpstream();
  node = await startTollgate({
    workers: 1,
    config: `_format_version: "3.0"
services:
  - name: echo
    url: http://127.0.0.1:${up.port}
    routes:
      - name: known
        paths: [/known]
plugins:
  - name: response-transformer
    config: { add: { headers: ["X-Global:seen"] } }
  - name: correlation-id
    config: { header_name: X-Trace, generator: uuid, echo_downstream: true }
  - name: request-termination
    route: known
    config: { status_code: 418, message: teapot }
`,
  });
});

after(async () => {
  await node?.stop();
  await up?.close();
});

test('a request no route matched gets Kong\'s 404 through the global plugins\' response phases', async () => {
  const res = await fetch(`${node.proxy}/nowhere`, { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-global'), 'seen');
  // correlation-id's access part does not run without a route; its header_filter still echoes an id.
  assert.match(res.headers.get('x-trace') ?? '', /^[0-9a-f-]{36}$/);
  const body = (await res.json()) as { message: string; request_id: string };
  assert.equal(body.message, 'no Route matched with those values');
  assert.match(body.request_id, /^[0-9a-f]{32}$/);
});

test('routed requests are unchanged: route plugins and global ones run', async () => {
  const res = await fetch(`${node.proxy}/known`);
  assert.equal(res.status, 418);
  assert.equal(res.headers.get('x-global'), 'seen');
});
