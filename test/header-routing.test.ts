/**
 * Header routes and repeated header lines, through `bin/tollgate` (issue 15, item 11): a header sent on
 * several lines matches a route on any of its values, as in Kong. Node keeps only the first line of some
 * headers (`Location`) and joins the lines of others into one value, so the proxy routes on the raw lines.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

/** Sends a raw request (header lines exactly as given) and returns the response text. */
function send(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(`GET /anything HTTP/1.1\r\nHost: example\r\nConnection: close\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`);
  });
}

describe('header routes match any line of a repeated header', () => {
  let located: TestUpstream;
  let versioned: TestUpstream;
  let node: TollgateNode;

  before(async () => {
    located = await startUpstream('located');
    versioned = await startUpstream('versioned');
    node = await startTollgate({
      config: `_format_version: "3.0"
services:
  - name: located
    url: http://127.0.0.1:${located.port}
    routes: [{ name: located, headers: { location: [my-location-1] } }]
  - name: versioned
    url: http://127.0.0.1:${versioned.port}
    routes: [{ name: versioned, headers: { x-version: [v2] } }]
  - name: by-regex
    url: http://127.0.0.1:${versioned.port}
    routes: [{ name: by-regex, headers: { x-agent: ["~*^bot-\\\\d+$"] } }]
`,
    });
  });

  after(async () => {
    await node?.stop();
    await located?.close();
    await versioned?.close();
  });

  test('two Location lines: the second one routes (Node keeps only the first)', async () => {
    const text = await send(node.proxyPort, ['Location: elsewhere', 'Location: my-location-1']);
    assert.match(text, /^HTTP\/1\.1 200 /, text);
    assert.match(text, /"server":"located"/);
  });

  test('two lines of another header: each is a value of its own (Node joins them)', async () => {
    const text = await send(node.proxyPort, ['X-Version: v1', 'X-Version: v2']);
    assert.match(text, /^HTTP\/1\.1 200 /, text);
    assert.match(text, /"server":"versioned"/);
  });

  test('a regex header value is searched in every line', async () => {
    const text = await send(node.proxyPort, ['X-Agent: curl/8', 'x-agent: bot-42']);
    assert.match(text, /^HTTP\/1\.1 200 /, text);
  });

  test('no line matching: 404', async () => {
    const text = await send(node.proxyPort, ['Location: a', 'Location: b', 'X-Version: v1', 'X-Version: v3']);
    assert.match(text, /^HTTP\/1\.1 404 /, text);
  });
});
