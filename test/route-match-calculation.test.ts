/**
 * `route_match_calculation` through bin/tollgate: by default (`strict`) the traditional_compatible router
 * ranks routes in the documented order; `original` ranks them the way a running Kong 3.x's arithmetic does.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTollgate, type TollgateNode } from './helpers/tollgate.ts';
import { startUpstream, type TestUpstream } from './helpers/upstream.ts';

function config(a: number, b: number): string {
  return `_format_version: "3.0"
services:
  - name: by-host
    url: http://127.0.0.1:${a}
    routes:
      - name: plain-host
        hosts: [api.test]
  - name: by-method-and-path
    url: http://127.0.0.1:${b}
    routes:
      - name: method-path
        methods: [GET]
        paths: [/orders]
`;
}

describe('route_match_calculation', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  const nodes: TollgateNode[] = [];

  before(async () => {
    a = await startUpstream('host-service');
    b = await startUpstream('method-path-service');
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    await a?.close();
    await b?.close();
  });

  const winner = async (node: TollgateNode): Promise<string> => {
    // fetch() may not set Host; undici's request() can.
    const r = await request(`${node.proxy}/orders`, { headers: { host: 'api.test' } });
    return ((await r.body.json()) as { server: string }).server;
  };

  it('strict (the default): the route with more fields wins, as documented', async () => {
    const node = await startTollgate({ config: config(a.port, b.port) });
    nodes.push(node);
    assert.equal(await winner(node), 'method-path-service');
  });

  it('original: a plain-host-only route outranks a methods+paths route, as in a running Kong 3.x', async () => {
    const node = await startTollgate({ config: config(a.port, b.port), env: { TOLLGATE_ROUTE_MATCH_CALCULATION: 'original' } });
    nodes.push(node);
    assert.equal(await winner(node), 'host-service');
  });
});
