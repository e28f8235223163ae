import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEntity } from '../../entities/index.ts';
import { pluginRegistry } from '../index.ts';
import { pluginContext } from '../../../test/support/plugin-context.ts';
import { botDetectionHandler, DecisionCache, ERR_MULTIPLE_USER_AGENTS, isRefused, type BotDetectionConf } from './handler.ts';
import type { BotDetectionConfig } from './schema.ts';

const registry = pluginRegistry(['bot-detection']);
const validate = (config: unknown) => validateEntity('plugins', { name: 'bot-detection', config }, { plugins: registry });

const prepare = (config: Partial<BotDetectionConfig> = {}): BotDetectionConf =>
  botDetectionHandler.prepare!({ allow: [], deny: [], ...config } as BotDetectionConfig, undefined as never);

function run(conf: BotDetectionConf, headers: string[]) {
  const ctx = pluginContext({ headers });
  botDetectionHandler.access!(ctx, conf);
  return ctx.exited;
}

describe('bot-detection schema', () => {
  test('defaults to empty lists; patterns must compile', () => {
    const ok = validate({});
    assert.ok(ok.ok);
    assert.deepEqual(ok.value.config, { allow: [], deny: [] });
    const bad = validate({ allow: ['good', '(bad'], deny: ['**'] });
    assert.ok(!bad.ok);
    assert.deepEqual(bad.errors, { config: { allow: [null, 'not a valid regex: (bad'], deny: ['not a valid regex: **'] } });
  });
});

describe('bot-detection rules', () => {
  const conf = prepare();
  test('browsers and plain clients pass', () => {
    for (const ua of [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
      'curl/7.43.0',
      'HelloWorld',
    ]) {
      assert.equal(isRefused(conf, ua), false, ua);
    }
  });

  test('the built-in rules catch crawlers, monitors and HTTP libraries', () => {
    for (const ua of [
      'Googlebot/2.1 (+http://www.google.com/bot.html)',
      'facebookexternalhit/1.1',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
      'Twitterbot/1.0',
      'aws-sdk-go/1.44.0 (go1.20; linux; amd64)',
      'Go-http-client/1.1',
      'okhttp/4.9.0',
      'Scrapy/2.11 (+https://scrapy.org)',
      'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
      '  Twitterbot/1.0  ',
    ]) {
      assert.equal(isRefused(conf, ua), true, ua);
    }
  });

  test('allow wins over deny and the built-in rules; deny adds to them', () => {
    const custom = prepare({ allow: ['facebookexternalhit'], deny: ['^HelloWorld$'] });
    assert.equal(isRefused(custom, 'facebookexternalhit/1.1'), false);
    assert.equal(isRefused(custom, 'HelloWorld'), true);
    assert.equal(isRefused(custom, 'HelloWorld2'), false);
    assert.equal(isRefused(prepare({ allow: ['HelloWorld'], deny: ['HelloWorld'] }), 'HelloWorld'), false);
  });
});

describe('bot-detection access', () => {
  test('403 Forbidden for a bot, nothing without a User-Agent, 400 for two', () => {
    const conf = prepare();
    assert.deepEqual(run(conf, ['User-Agent', 'Twitterbot/1.0']), { status: 403, kind: 'error', body: null, headers: [] });
    assert.equal(run(conf, []), null);
    assert.equal(run(conf, ['User-Agent', 'curl/8.0']), null);
    assert.deepEqual(run(conf, ['User-Agent', 'a', 'User-Agent', 'b']), { status: 400, kind: 'error', body: ERR_MULTIPLE_USER_AGENTS, headers: [] });
  });

  test('decisions are remembered per configuration by User-Agent', () => {
    const conf = prepare();
    run(conf, ['User-Agent', 'Twitterbot/1.0']);
    run(conf, ['User-Agent', 'curl/8.0']);
    assert.equal(conf.decisions.entries.get('Twitterbot/1.0'), true);
    assert.equal(conf.decisions.entries.get('curl/8.0'), false);
    assert.equal(prepare().decisions.entries.size, 0);
  });

  test('the decision cache is bounded and forgets the least recently used first', () => {
    const cache = new DecisionCache(3);
    cache.set('a', true);
    cache.set('b', false);
    cache.set('c', true);
    assert.equal(cache.get('a'), true);
    cache.set('d', false);
    assert.deepEqual([...cache.entries.keys()], ['c', 'a', 'd']);
    for (let i = 0; i < 100; i++) cache.set(`ua-${i}`, false);
    assert.equal(cache.entries.size, 3);
  });
});
