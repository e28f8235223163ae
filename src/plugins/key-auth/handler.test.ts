import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginContext } from '../../pdk/index.ts';
import { configData, pluginContext, upstreamHeader as upstream } from '../../../test/support/plugin-context.ts';
import { keyAuthHandler, type KeyAuthConf } from './handler.ts';
import type { KeyAuthConfig } from './schema.ts';

const DATA = configData({
  consumers: [
    { id: 'c-ann', username: 'ann', custom_id: 'ann-1' },
    { id: 'c-anon', username: 'anonymous', custom_id: null },
  ],
  keyauth_credentials: [{ id: 'k-ann', consumer: { id: 'c-ann' }, key: 'ann-key' }],
});

function conf(config: Record<string, unknown> = {}): KeyAuthConf {
  const defaults = { key_names: ['apikey'], hide_credentials: false, key_in_header: true, key_in_query: true, key_in_body: false, run_on_preflight: true, anonymous: null, realm: null };
  return keyAuthHandler.prepare!({ ...defaults, ...config } as KeyAuthConfig, DATA);
}

function context(url: string, headers: string[], method: string, body?: string): PluginContext {
  const upstreamHeaders = ['X-Consumer-ID', 'forged', 'X-Anonymous-Consumer', 'true'];
  return pluginContext({ url, headers, method, body: body === undefined ? [] : [Buffer.from(body)], upstreamHeaders, data: DATA });
}

function run(c: KeyAuthConf, url: string, rawHeaders: string[] = [], method = 'GET'): PluginContext {
  const ctx = context(url, rawHeaders, method);
  const result = keyAuthHandler.access!(ctx, c);
  assert.equal(result, undefined, 'without key_in_body, key-auth is synchronous');
  return ctx;
}

async function runWithBody(c: KeyAuthConf, url: string, rawHeaders: string[], body: string | undefined): Promise<PluginContext> {
  const ctx = context(url, rawHeaders, 'POST', body);
  await keyAuthHandler.access!(ctx, c);
  return ctx;
}


describe('key-auth', () => {
  test('no key: 401 with Kong message and WWW-Authenticate Key (realm when set)', () => {
    const ctx = run(conf(), '/');
    assert.deepEqual(ctx.exited, { status: 401, kind: 'error', body: 'No API key found in request', headers: ['WWW-Authenticate', 'Key'] });
    assert.deepEqual(run(conf({ realm: 'r' }), '/').exited?.headers, ['WWW-Authenticate', 'Key realm="r"']);
  });

  test('unknown key: 401 Unauthorized; empty key counts as none', () => {
    assert.equal(run(conf(), '/', ['apikey', 'bad']).exited?.body, 'Unauthorized');
    assert.equal(run(conf(), '/?apikey=').exited?.body, 'No API key found in request');
  });

  test('duplicate key headers: 401 Duplicate API key found', () => {
    assert.equal(run(conf(), '/', ['apikey', 'a', 'ApiKey', 'b']).exited?.body, 'Duplicate API key found');
  });

  test('a valid key sets the consumer and replaces forged consumer headers', () => {
    const ctx = run(conf(), '/', ['apikey', 'ann-key']);
    assert.equal(ctx.exited, null);
    assert.equal(ctx.consumer?.id, 'c-ann');
    assert.equal(ctx.credential?.id, 'k-ann');
    assert.equal(upstream(ctx, 'X-Consumer-ID'), 'c-ann');
    assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), 'ann-1');
    assert.equal(upstream(ctx, 'X-Consumer-Username'), 'ann');
    assert.equal(upstream(ctx, 'X-Credential-Identifier'), 'k-ann');
    assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), undefined);
    assert.equal(upstream(ctx, 'apikey'), 'ann-key');
  });

  test('header wins over query; query used when key_in_header is off; key_names tried in order', () => {
    assert.equal(run(conf(), '/?apikey=bad', ['apikey', 'ann-key']).exited, null);
    assert.equal(run(conf({ key_in_header: false }), '/?apikey=ann-key', ['apikey', 'bad']).exited, null);
    assert.equal(run(conf({ key_in_query: false }), '/?apikey=ann-key').exited?.body, 'No API key found in request');
    assert.equal(run(conf({ key_names: ['a', 'b'] }), '/?b=ann-key').exited, null);
  });

  test('hide_credentials removes the key from upstream headers and query', () => {
    const ctx = run(conf({ hide_credentials: true }), '/p?x=1&apikey=ann-key&y=2');
    assert.equal(ctx.upstreamTarget, '/p?x=1&y=2');
    const h = run(conf({ hide_credentials: true }), '/p', ['apikey', 'ann-key']);
    assert.equal(upstream(h, 'apikey'), undefined);
  });

  test('run_on_preflight false lets OPTIONS through unauthenticated', () => {
    assert.equal(run(conf({ run_on_preflight: false }), '/', [], 'OPTIONS').exited, null);
    assert.equal(run(conf(), '/', [], 'OPTIONS').exited?.status, 401);
  });

  test('anonymous (by username or id) replaces the 401 and marks the request anonymous', () => {
    for (const anonymous of ['anonymous', 'c-anon']) {
      const ctx = run(conf({ anonymous }), '/', ['apikey', 'bad']);
      assert.equal(ctx.exited, null);
      assert.equal(upstream(ctx, 'X-Consumer-ID'), 'c-anon');
      assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), 'true');
      assert.equal(upstream(ctx, 'X-Credential-Identifier'), undefined);
      assert.equal(ctx.credential, null);
    }
  });

  test('anonymous naming a missing consumer answers 500', () => {
    const ctx = run(conf({ anonymous: 'ghost' }), '/');
    assert.equal(ctx.exited?.status, 500);
    assert.equal(ctx.exited?.body, "anonymous consumer ghost is configured but doesn't exist");
  });

  test('key_in_body: the key is read from a form, JSON or multipart body; hide_credentials removes it', async () => {
    const c = conf({ key_in_body: true, hide_credentials: true });
    const form = await runWithBody(c, '/', ['Content-Type', 'application/x-www-form-urlencoded'], 'a=1&apikey=ann-key');
    assert.equal(form.exited, null);
    assert.equal(form.consumer?.id, 'c-ann');
    assert.equal(form.upstreamBody?.toString(), 'a=1');
    const json = await runWithBody(c, '/', ['Content-Type', 'application/json'], '{"apikey":"ann-key","b":2}');
    assert.equal(json.consumer?.id, 'c-ann');
    assert.deepEqual(JSON.parse(json.upstreamBody!.toString()), { b: 2 });
    const multipart = await runWithBody(
      conf({ key_in_body: true }),
      '/',
      ['Content-Type', 'multipart/form-data; boundary=XX'],
      '--XX\r\nContent-Disposition: form-data; name="apikey"\r\n\r\nann-key\r\n--XX--\r\n',
    );
    assert.equal(multipart.consumer?.id, 'c-ann');
    assert.equal(multipart.upstreamBody, null);
  });

  test('key_in_body: a body that cannot be parsed is not searched (Kong 3.x); a key elsewhere still works', async () => {
    const bad = await runWithBody(conf({ key_in_body: true }), '/', ['Content-Type', 'application/json'], '{nope');
    assert.equal(bad.exited?.status, 401);
    assert.equal(bad.exited?.body, 'No API key found in request');
    const header = await runWithBody(conf({ key_in_body: true }), '/', ['apikey', 'ann-key'], undefined);
    assert.equal(header.exited, null);
    assert.equal(header.consumer?.id, 'c-ann');
  });
});
