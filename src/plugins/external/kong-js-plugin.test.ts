import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kong } from '../../pdk/kong.ts';
import { adaptKongJsPlugin, runPhase, type KongJsModule } from './kong-js-plugin.ts';
import { camelName, kongJsPdk, PDKError, PhaseExit } from './kong-js-pdk.ts';

/** A PDK double recording calls; `exit` and `error` throw in the log phase, as Tollgate's strict PDK does. */
function fakeKong(phase = 'access') {
  const calls: unknown[][] = [];
  const record = (name: string) => (...args: unknown[]) => void calls.push([name, ...args]);
  const kong = {
    phase,
    request: {
      getHeader: (name: string) => (name === 'host' ? 'example.test' : undefined),
      getRawBodyBytes: async () => Buffer.from('hello body'),
    },
    response: {
      setHeader: record('response.setHeader'),
      getStatus: () => 200,
      exit: (...args: unknown[]) => {
        if (phase === 'log') throw new Error('kong.response.exit cannot be called in the log phase');
        calls.push(['response.exit', ...args]);
      },
      error: record('response.error'),
    },
    service: {
      request: { setHeader: record('service.request.setHeader'), setRawBody: record('service.request.setRawBody') },
      response: { getRawBody: () => 'upstream body' },
    },
    ctx: { shared: { seen: 1 } as Record<string, unknown>, plugin: {} as Record<string, unknown> },
    log: { err: record('log.err') },
    node: { getId: () => 'node-1' },
  };
  return { kong: kong as unknown as Kong, calls };
}

function plugin(methods: Record<string, (this: { config: Record<string, unknown> }, kong: any) => unknown>, extra: Partial<KongJsModule> = {}) {
  class P {
    config: Record<string, unknown>;
    constructor(config: Record<string, unknown>) {
      this.config = config;
    }
  }
  Object.assign(P.prototype, methods);
  return adaptKongJsPlugin('test-plugin', { Plugin: P, ...extra } as KongJsModule);
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Kong JavaScript PDK names', () => {
  test('snake_case names map to camelCase ones', () => {
    assert.equal(camelName('get_raw_body'), 'getRawBody');
    assert.equal(camelName('getRawBody'), 'getRawBody');
    assert.equal(camelName('err'), 'err');
  });

  test('both spellings work at every level, and every call returns a promise', async () => {
    const { kong, calls } = fakeKong();
    const pdk = kongJsPdk(kong, new PhaseExit()) as any;
    const host = pdk.request.get_header('host');
    assert.ok(host instanceof Promise);
    assert.equal(await host, 'example.test');
    assert.equal(await pdk.request.getHeader('host'), 'example.test');
    const body = await pdk.request.get_raw_body();
    assert.equal(Buffer.isBuffer(body), true);
    assert.equal(body.toUpperCase(), 'HELLO BODY');
    await pdk.service.request.set_header('x-a', '1');
    await pdk.service.request.setHeader('x-b', 2);
    await pdk.response.set_header('x-c', 'v');
    assert.equal(await pdk.node.get_id(), 'node-1');
    assert.deepEqual(calls, [['service.request.setHeader', 'x-a', '1'], ['service.request.setHeader', 'x-b', 2], ['response.setHeader', 'x-c', 'v']]);
  });

  test('a namespace is not a thenable, so awaiting it does not hang', async () => {
    const pdk = kongJsPdk(fakeKong().kong, new PhaseExit()) as any;
    assert.equal(pdk.request.then, undefined);
    assert.equal(typeof (await pdk.request).get_header, 'function');
  });

  test('kong.ctx.shared has get and set, over the request-wide shared object', async () => {
    const { kong } = fakeKong();
    const pdk = kongJsPdk(kong, new PhaseExit()) as any;
    assert.equal(await pdk.ctx.shared.get('seen'), 1);
    await pdk.ctx.shared.set('user', 'ann');
    assert.equal(kong.ctx.shared.user, 'ann');
  });

  test('a failing call rejects (await throws) and an unknown one rejects naming it', async () => {
    const pdk = kongJsPdk(fakeKong('log').kong, new PhaseExit()) as any;
    await assert.rejects(pdk.response.exit(403), /cannot be called in the log phase/);
    await assert.rejects(pdk.nginx.get_statistics(), (err: Error) => err instanceof PDKError && err.message === 'PDK method kong.nginx.get_statistics is not available in Tollgate');
    await assert.rejects(pdk.nginx.getStatistics(), /PDK method kong.nginx.getStatistics is not available in Tollgate/);
  });

  test('a failing call that is not awaited does not become an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const pdk = kongJsPdk(fakeKong().kong, new PhaseExit()) as any;
      void pdk.service.set_timeouts(1, 2, 3);
      await tick();
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Kong JavaScript plugins as Tollgate handlers', () => {
  test('exposes the phases the class defines, its priority and version', () => {
    const { handler } = plugin({ access() {}, response() {}, log() {}, helper() {} }, { Priority: 42, Version: '2.0.0' });
    assert.equal(handler.priority, 42);
    assert.equal(handler.version, '2.0.0');
    assert.equal(typeof handler.access, 'function');
    assert.equal(typeof handler.response, 'function');
    assert.equal(typeof handler.log, 'function');
    assert.equal(handler.rewrite, undefined);
    assert.equal(handler.header_filter, undefined);
  });

  test('prepare builds one instance per plugin entity, with its own copy of the config', async () => {
    const seen: unknown[] = [];
    const { handler } = plugin({
      access(this: { config: Record<string, unknown> }) {
        seen.push(this.config.message);
        this.config.message = 'changed';
      },
    });
    const config = Object.freeze({ message: 'one' });
    const a = handler.prepare!(config, undefined as never);
    const b = handler.prepare!({ message: 'two' }, undefined as never);
    await handler.access!(fakeKong().kong, a);
    await handler.access!(fakeKong().kong, b);
    await handler.access!(fakeKong().kong, a);
    assert.deepEqual(seen, ['one', 'two', 'changed']);
    assert.equal(config.message, 'one');
  });

  test('kong.response.exit does not return: the handler is not waited for, and later calls are dropped', async () => {
    let after = false;
    const { handler } = plugin({
      async access(kong) {
        await kong.response.exit(403, { message: 'no' });
        after = true;
      },
    });
    const { kong, calls } = fakeKong();
    await handler.access!(kong, handler.prepare!({}, undefined as never));
    await tick();
    assert.equal(after, false);
    assert.deepEqual(calls, [['response.exit', 403, { message: 'no' }]]);
  });

  test('an exit that is not awaited still ends the phase; calls made after it do nothing', async () => {
    const { handler } = plugin({
      async access(kong) {
        kong.response.error(401, 'who are you');
        await kong.response.setHeader('x-after', '1');
        await new Promise(() => {}); // a handler that would never finish on its own
      },
    });
    const { kong, calls } = fakeKong();
    await handler.access!(kong, handler.prepare!({}, undefined as never));
    assert.deepEqual(calls, [['response.error', 401, 'who are you']]);
  });

  test('a handler that throws or rejects fails the phase with its error', async () => {
    const { handler } = plugin({
      async access() {
        throw new Error('async boom');
      },
      log() {
        throw new Error('sync boom');
      },
    });
    const conf = handler.prepare!({}, undefined as never);
    await assert.rejects(async () => handler.access!(fakeKong().kong, conf), /async boom/);
    await assert.rejects(async () => handler.log!(fakeKong('log').kong, conf), /sync boom/);
  });

  test('a constructor that throws fails each request of that plugin entity, not the configuration', async () => {
    class Bad {
      constructor() {
        throw new Error('bad config');
      }
      async access() {}
    }
    const { handler } = adaptKongJsPlugin('bad', { Plugin: Bad } as unknown as KongJsModule);
    const conf = handler.prepare!({}, undefined as never);
    await assert.rejects(async () => handler.access!(fakeKong().kong, conf), /plugin 'bad': new Plugin\(config\) threw: bad config/);
  });

  test('a synchronous method and a plain return value complete the phase', async () => {
    const { handler } = plugin({
      access(kong) {
        kong.response.setHeader('x-sync', 'yes');
        return 5;
      },
    });
    const { kong, calls } = fakeKong();
    await runPhase(handler.prepare!({}, undefined as never), 'access', kong);
    assert.deepEqual(calls, [['response.setHeader', 'x-sync', 'yes']]);
  });
});
