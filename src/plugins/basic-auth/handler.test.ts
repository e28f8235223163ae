import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginConfigData, PluginContext } from '../../pdk/index.ts';
import { configData, pluginContext, upstreamHeader as upstream } from '../../../test/support/plugin-context.ts';
import { basicAuthHandler, decodeBase64, parseBasic, type BasicAuthConf } from './handler.ts';
import { hashPassword, kongSha1 } from './password.ts';
import type { BasicAuthConfig } from './schema.ts';

const DATA = configData({
  consumers: [
    { id: 'c-ann', username: 'ann', custom_id: 'ann-1' },
    { id: 'c-bob', username: 'bob', custom_id: null },
    { id: 'c-anon', username: 'anonymous', custom_id: null },
  ],
  basicauth_credentials: [
    { id: 'b-ann', consumer: { id: 'c-ann' }, username: 'ann-user', password: hashPassword('open:sesame') },
    { id: 'b-bob', consumer: { id: 'c-bob' }, username: 'bob-user', password: kongSha1('MI6', 'c-bob') },
    { id: 'b-ghost', consumer: { id: 'c-none' }, username: 'ghost', password: kongSha1('x', 'c-none') },
  ],
});

function conf(config: Partial<Record<keyof BasicAuthConfig, unknown>> = {}): BasicAuthConf {
  return basicAuthHandler.prepare!({ anonymous: null, hide_credentials: false, realm: 'service', ...config } as BasicAuthConfig, DATA);
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function context(headers: string[]): PluginContext {
  return pluginContext({ headers, upstreamHeaders: ['X-Consumer-ID', 'forged', 'X-Anonymous-Consumer', 'true'], data: DATA });
}

async function run(c: BasicAuthConf, rawHeaders: string[] = []): Promise<PluginContext> {
  const ctx = context(rawHeaders);
  await basicAuthHandler.access!(ctx, c);
  return ctx;
}


describe('basic-auth: parsing the header as Kong does', () => {
  test('Basic with any case of the first letter, optional spaces; the password is everything after the first colon', () => {
    assert.deepEqual(parseBasic(basic('u', 'p:q')), { username: 'u', password: Buffer.from('p:q') });
    assert.equal(parseBasic(`basic ${Buffer.from('u:').toString('base64')}`)?.password.length, 0);
    assert.equal(parseBasic(`  Basic${Buffer.from('u:p').toString('base64')}`)?.username, 'u');
    assert.equal(parseBasic(`Bearer ${Buffer.from('u:p').toString('base64')}`), null);
    assert.equal(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`), null);
    assert.equal(parseBasic('Basic !!!'), null, 'not base64');
    assert.equal(parseBasic('foobar'), null);
  });

  test('base64 as nginx decodes it: padding optional, other characters refused', () => {
    assert.equal(decodeBase64('dTpw')?.toString(), 'u:p');
    assert.equal(decodeBase64('dTpwcQ')?.toString(), 'u:pq');
    assert.equal(decodeBase64('dTpwcQ==')?.toString(), 'u:pq');
    assert.equal(decodeBase64('dTpw '), null);
    assert.equal(decodeBase64('dTpwc'), null);
  });
});

describe('basic-auth', () => {
  test('no header: 401 Unauthorized with the realm challenge', async () => {
    const ctx = await run(conf());
    assert.deepEqual(ctx.exited, { status: 401, kind: 'error', body: 'Unauthorized', headers: ['WWW-Authenticate', 'Basic realm="service"'] });
    assert.deepEqual((await run(conf({ realm: 'tollgate' }))).exited?.headers, ['WWW-Authenticate', 'Basic realm="tollgate"']);
  });

  test('bad header, unknown user, wrong password: 401 Unauthorized', async () => {
    for (const header of ['foobar', basic('nobody', 'x'), basic('ann-user', 'wrong'), basic('bob-user', 'MI5'), basic('ghost', 'x')]) {
      const ctx = await run(conf(), ['Authorization', header]);
      assert.equal(ctx.exited?.status, 401, header);
      assert.equal(ctx.exited?.body, 'Unauthorized');
    }
  });

  test('a scrypt credential authenticates; consumer headers replace forged ones; the identifier is the username', async () => {
    const ctx = await run(conf(), ['Authorization', basic('ann-user', 'open:sesame')]);
    assert.equal(ctx.exited, null);
    assert.equal(ctx.consumer?.id, 'c-ann');
    assert.equal(ctx.credential?.id, 'b-ann');
    assert.equal('password' in (ctx.credential as object), false, 'later plugins never see the password hash');
    assert.equal(upstream(ctx, 'X-Consumer-ID'), 'c-ann');
    assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), 'ann-1');
    assert.equal(upstream(ctx, 'X-Consumer-Username'), 'ann');
    assert.equal(upstream(ctx, 'X-Credential-Identifier'), 'ann-user');
    assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), undefined);
    assert.equal(upstream(ctx, 'Authorization'), basic('ann-user', 'open:sesame'));
    // The second time the success is cached: the phase completes synchronously.
    const again = context(['Authorization', basic('ann-user', 'open:sesame')]);
    assert.equal(basicAuthHandler.access!(again, conf()), undefined);
    assert.equal(again.consumer?.id, 'c-ann');
  });

  test('a Kong SHA-1 credential authenticates synchronously; no custom_id clears the header', async () => {
    const ctx = context(['Authorization', basic('bob-user', 'MI6'), 'X-Consumer-Custom-ID', 'forged']);
    assert.equal(basicAuthHandler.access!(ctx, conf()), undefined);
    assert.equal(ctx.consumer?.id, 'c-bob');
    assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), undefined);
  });

  test('Proxy-Authorization is tried first, then Authorization', async () => {
    const both = await run(conf(), ['Proxy-Authorization', basic('bob-user', 'MI6'), 'Authorization', basic('ann-user', 'open:sesame')]);
    assert.equal(both.consumer?.id, 'c-bob');
    const unknownProxy = await run(conf(), ['Proxy-Authorization', basic('nobody', 'x'), 'Authorization', basic('ann-user', 'open:sesame')]);
    assert.equal(unknownProxy.consumer?.id, 'c-ann');
    const onlyProxy = await run(conf(), ['Proxy-Authorization', basic('bob-user', 'MI6')]);
    assert.equal(onlyProxy.consumer?.id, 'c-bob');
  });

  test('hide_credentials removes the headers it read', async () => {
    const ctx = await run(conf({ hide_credentials: true }), ['Authorization', basic('bob-user', 'MI6'), 'Proxy-Authorization', 'junk']);
    assert.equal(ctx.exited, null);
    assert.equal(upstream(ctx, 'Authorization'), undefined);
    assert.equal(upstream(ctx, 'Proxy-Authorization'), undefined);
  });

  test('anonymous (by username or id) replaces the 401; a credential from an earlier plugin wins', async () => {
    for (const anonymous of ['anonymous', 'c-anon']) {
      const ctx = await run(conf({ anonymous }), ['Authorization', basic('ann-user', 'wrong')]);
      assert.equal(ctx.exited, null);
      assert.equal(upstream(ctx, 'X-Consumer-ID'), 'c-anon');
      assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), 'true');
      assert.equal(upstream(ctx, 'X-Credential-Identifier'), undefined);
      assert.equal(ctx.credential, null);
    }
    const earlier = context([]);
    earlier.client.authenticate({ id: 'c-ann', username: 'ann', custom_id: null }, { id: 'k', consumer: { id: 'c-ann' } });
    await basicAuthHandler.access!(earlier, conf({ anonymous: 'anonymous' }));
    assert.equal(earlier.exited, null);
    assert.equal(earlier.credential?.id, 'k');
  });

  test('anonymous naming a missing consumer answers 500 with Kong\'s message', async () => {
    const ctx = await run(conf({ anonymous: 'ghost' }));
    assert.equal(ctx.exited?.status, 500);
    assert.equal(ctx.exited?.body, "anonymous consumer ghost is configured but doesn't exist");
  });
});

describe('basic-auth: header values remembered after a success', () => {
  const ANN = { id: 'c-ann', username: 'ann', custom_id: 'ann-1' };
  const BOB = { id: 'c-bob', username: 'bob', custom_id: null };
  const annPassword = hashPassword('open:sesame');
  /** A snapshot's data of its own, so each test starts with nothing remembered. */
  function snapshot(consumers = [ANN, BOB], annStored = annPassword) {
    return configData({
      consumers,
      basicauth_credentials: [
        { id: 'b-ann', consumer: { id: 'c-ann' }, username: 'ann-user', password: annStored },
        { id: 'b-bob', consumer: { id: 'c-bob' }, username: 'bob-user', password: kongSha1('MI6', 'c-bob') },
      ],
    });
  }
  const confOf = (data: PluginConfigData, config: Partial<Record<keyof BasicAuthConfig, unknown>> = {}) =>
    basicAuthHandler.prepare!({ anonymous: null, hide_credentials: false, realm: 'service', ...config } as BasicAuthConfig, data);
  const ANN_OK = basic('ann-user', 'open:sesame');
  const BOB_OK = basic('bob-user', 'MI6');

  /** What a request leaves behind: the answer, the consumer and the headers sent upstream. */
  async function outcome(c: BasicAuthConf, rawHeaders: string[]) {
    const ctx = await run(c, rawHeaders);
    return { exited: ctx.exited, consumer: ctx.consumer?.id ?? null, credential: ctx.credential?.id ?? null, upstream: ctx.upstreamHeaders.slice(2) };
  }

  test('a success is remembered by its exact value and answered the same, synchronously', async () => {
    const c = confOf(snapshot());
    const first = await outcome(c, ['Authorization', ANN_OK]);
    assert.equal(first.consumer, 'c-ann');
    assert.equal(c.proven.size, 1);
    assert.equal(c.proven.get(ANN_OK)?.credential.id, 'b-ann');
    const ctx = context(['Authorization', ANN_OK]);
    assert.equal(basicAuthHandler.access!(ctx, c), undefined);
    assert.deepEqual({ exited: ctx.exited, consumer: ctx.consumer?.id, credential: ctx.credential?.id, upstream: ctx.upstreamHeaders.slice(2) }, first);
    // Another spelling of the same credentials is checked in full, then remembered too.
    const spelled = `basic ${Buffer.from('ann-user:open:sesame').toString('base64')}`;
    assert.equal((await outcome(c, ['Authorization', spelled])).consumer, 'c-ann');
    assert.equal(c.proven.size, 2);
  });

  test('wrong passwords are never remembered, also while the right one is being verified', async () => {
    const c = confOf(snapshot(), { anonymous: null });
    const wrong = basic('ann-user', 'open:sesame!');
    const answers = await Promise.all([run(c, ['Authorization', wrong]), run(c, ['Authorization', ANN_OK]), run(c, ['Authorization', wrong])]);
    assert.deepEqual(answers.map((ctx) => ctx.exited?.status ?? 200), [401, 200, 401]);
    for (const header of [wrong, basic('bob-user', 'MI5'), basic('nobody', 'x'), 'foobar']) {
      assert.equal((await run(c, ['Authorization', header])).exited?.status, 401, header);
      assert.equal(c.proven.get(header), undefined, header);
    }
    assert.equal(c.proven.size, 1);
  });

  test('every plugin entity of one snapshot shares what was proven; a new snapshot starts empty', async () => {
    const data = snapshot();
    const one = confOf(data);
    await run(one, ['Authorization', BOB_OK]);
    assert.equal(confOf(data, { hide_credentials: true, realm: 'x' }).proven.get(BOB_OK)?.consumer.id, 'c-bob');
    assert.equal(confOf(snapshot()).proven.size, 0);
  });

  test('a changed password or consumer takes effect with the next snapshot', async () => {
    const before = confOf(snapshot());
    assert.equal((await run(before, ['Authorization', ANN_OK])).consumer?.id, 'c-ann');
    const newPassword = confOf(snapshot([ANN, BOB], hashPassword('new')));
    assert.equal((await run(newPassword, ['Authorization', ANN_OK])).exited?.status, 401);
    assert.equal((await run(newPassword, ['Authorization', basic('ann-user', 'new')])).exited, null);
    const renamed = confOf(snapshot([{ ...ANN, custom_id: 'ann-2' }, BOB]));
    const ctx = await run(renamed, ['Authorization', ANN_OK]);
    assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), 'ann-2');
    const gone = confOf(snapshot([BOB]));
    assert.equal((await run(gone, ['Authorization', ANN_OK])).exited?.status, 401);
  });

  test('a remembered value answers as the full check does, whichever headers come with it and with hide_credentials', async () => {
    const cases: string[][] = [
      ['Authorization', ANN_OK],
      ['Proxy-Authorization', ANN_OK],
      ['Authorization', ANN_OK, 'Proxy-Authorization', 'junk'],
      ['Proxy-Authorization', basic('nobody', 'x'), 'Authorization', ANN_OK],
      // Proxy-Authorization names a known user: its wrong password fails, whatever Authorization proved before.
      ['Proxy-Authorization', basic('bob-user', 'MI5'), 'Authorization', ANN_OK],
      ['Proxy-Authorization', BOB_OK, 'Authorization', ANN_OK],
      ['Proxy-Authorization', ANN_OK, 'Authorization', 'junk'],
    ];
    for (const hide of [false, true]) {
      for (const headers of cases) {
        const fresh = confOf(snapshot(), { hide_credentials: hide });
        const full = await outcome(fresh, headers);
        // Remember every value of the case first, as separate requests would.
        const warm = confOf(snapshot(), { hide_credentials: hide });
        for (let i = 1; i < headers.length; i += 2) await run(warm, ['Authorization', headers[i]]);
        const remembered = await outcome(warm, headers);
        assert.deepEqual(remembered, full, `${JSON.stringify(headers)} hide_credentials=${hide}`);
      }
    }
  });
});
