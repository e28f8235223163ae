import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadYaml as parse } from '../../src/declarative/yaml.ts';
import { createHmac, createPublicKey, verify } from 'node:crypto';
import { BENCH_API_KEY, BENCH_RATE_LIMIT, BENCH_REDIS, benchJwt, benchRequestHeaders, tollgateDeclarativeConfig, tollgateEnvironment, type BenchPlugin } from './tollgate-config.ts';

test('declarative file: format 3.0 as a string, one service at the upstream, one route on /', () => {
  const doc = parse(tollgateDeclarativeConfig(18080)) as {
    _format_version: unknown; services: { name: string; url: string; routes: { paths: string[] }[]; plugins?: unknown }[]; plugins?: unknown;
  };
  assert.equal(doc._format_version, '3.0');
  assert.equal(doc.services.length, 1);
  assert.equal(doc.services[0].url, 'http://127.0.0.1:18080');
  assert.deepEqual(doc.services[0].routes.map((r) => r.paths), [['/']]);
  assert.equal(doc.plugins, undefined);
  assert.equal(doc.services[0].plugins, undefined);
});

test('prometheus scenario: the route runs prometheus with every metric flag on', () => {
  const doc = parse(tollgateDeclarativeConfig(18080, 'prometheus')) as {
    services: { routes: { plugins?: { name: string; config?: Record<string, unknown> }[] }[] }[];
  };
  assert.deepEqual(doc.services[0].routes[0].plugins, [
    {
      name: 'prometheus',
      config: { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true },
    },
  ]);
});

test('proxy-cache scenario: the route runs proxy-cache with the memory strategy', () => {
  const doc = parse(tollgateDeclarativeConfig(18080, 'proxy-cache')) as {
    services: { routes: { paths: string[]; plugins: { name: string; config: Record<string, unknown> }[] }[] }[];
  };
  const route = doc.services[0].routes[0];
  assert.deepEqual(route.paths, ['/']);
  assert.deepEqual(route.plugins, [{ name: 'proxy-cache', config: { strategy: 'memory' } }]);
});

test('environment: loopback listeners, admin off, worker count, inherited TOLLGATE_* dropped', () => {
  const env = tollgateEnvironment({
    base: { PATH: '/bin', TOLLGATE_LOG_LEVEL: 'debug', TOLLGATE_CPU_PROF_DIR: '/old' },
    prefix: '/tmp/p', declarativePath: '/tmp/p/bench.yaml', proxyPort: 1, statusPort: 2, workers: 2,
  });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.TOLLGATE_LOG_LEVEL, undefined);
  assert.equal(env.TOLLGATE_CPU_PROF_DIR, undefined);
  assert.equal(env.TOLLGATE_PREFIX, '/tmp/p');
  assert.equal(env.TOLLGATE_DECLARATIVE_CONFIG, '/tmp/p/bench.yaml');
  assert.equal(env.TOLLGATE_PROXY_LISTEN, '127.0.0.1:1');
  assert.equal(env.TOLLGATE_STATUS_LISTEN, '127.0.0.1:2');
  assert.equal(env.TOLLGATE_ADMIN_LISTEN, 'off');
  assert.equal(env.TOLLGATE_WORKER_PROCESSES, '2');
  assert.equal(env.TOLLGATE_PROXY_ACCESS_LOG, 'off', 'like the nginx contestants');
});

test('environment: profiling dir and extra variables (which win)', () => {
  const env = tollgateEnvironment({
    base: {}, prefix: '/p', declarativePath: '/p/b.yaml', proxyPort: 1, statusPort: 2, workers: 1, profileDir: '/prof',
    extra: { TOLLGATE_PROXY_ACCESS_LOG: 'logs/access.log', TOLLGATE_WORKER_PROCESSES: '3' },
  });
  assert.equal(env.TOLLGATE_CPU_PROF_DIR, '/prof');
  assert.equal(env.TOLLGATE_PROXY_ACCESS_LOG, 'logs/access.log');
  assert.equal(env.TOLLGATE_WORKER_PROCESSES, '3');
});

test('auth scenarios: the file holds the credential the request headers carry', () => {
  type Doc = { services: { routes: { plugins: { name: string }[] }[] }[]; consumers: Record<string, Record<string, string>[]>[] };
  const docOf = (plugin: BenchPlugin) => parse(tollgateDeclarativeConfig(18080, plugin)) as Doc;

  const basic = docOf('basic-auth');
  assert.equal(basic.services[0].routes[0].plugins[0].name, 'basic-auth');
  const [basicHeader] = benchRequestHeaders('basic-auth')!;
  const [user, password] = Buffer.from(basicHeader.replace('authorization: Basic ', ''), 'base64').toString().split(':');
  assert.deepEqual(basic.consumers[0].basicauth_credentials[0], { username: user, password });

  for (const [plugin, algorithm] of [['jwt-hs256', 'HS256'], ['jwt-rs256', 'RS256']] as const) {
    const doc = docOf(plugin);
    assert.equal(doc.services[0].routes[0].plugins[0].name, 'jwt');
    const secret = doc.consumers[0].jwt_secrets[0];
    assert.equal(secret.algorithm, algorithm);
    const [header] = benchRequestHeaders(plugin)!;
    const token = header.replace('authorization: Bearer ', '');
    assert.equal(token, benchJwt(algorithm), 'the same token every time');
    const [h, c, s] = token.split('.');
    assert.equal(JSON.parse(Buffer.from(c, 'base64url').toString()).iss, secret.key);
    const input = Buffer.from(`${h}.${c}`);
    const valid = algorithm === 'HS256'
      ? createHmac('sha256', secret.secret).update(input).digest('base64url') === s
      : verify('sha256', input, createPublicKey(secret.rsa_public_key), Buffer.from(s, 'base64url'));
    assert.ok(valid, `${plugin}: the token verifies with the file's ${algorithm === 'HS256' ? 'secret' : 'public key'}`);
  }
  assert.equal(benchRequestHeaders(null), undefined);
  assert.deepEqual(benchRequestHeaders('key-auth'), ['apikey: bench-key']);
});

test('opentelemetry scenario: the route exports its spans to the upstream, which answers 200', () => {
  type Doc = { services: { routes: { plugins: { name: string; config: { traces_endpoint: string } }[] }[] }[] };
  const doc = parse(tollgateDeclarativeConfig(18080, 'opentelemetry')) as Doc;
  const [plugin] = doc.services[0].routes[0].plugins;
  assert.equal(plugin.name, 'opentelemetry');
  assert.equal(plugin.config.traces_endpoint, 'http://127.0.0.1:18080/v1/traces');
  assert.equal(benchRequestHeaders('opentelemetry'), undefined);
});

test('http-log-dead: the route runs http-log to the given collector port', () => {
  const doc = parse(tollgateDeclarativeConfig(18080, 'http-log-dead', 19999)) as {
    services: { routes: { plugins: { name: string; config: { http_endpoint: string } }[] }[] }[];
  };
  assert.deepEqual(doc.services[0].routes[0].plugins, [{ name: 'http-log', config: { http_endpoint: 'http://127.0.0.1:19999/' } }]);
});

test('rate-limiting scenarios: key-auth then rate-limiting per consumer with a limit never reached, local or Redis', () => {
  type Doc = { services: { routes: { plugins: { name: string; config?: Record<string, unknown> }[] }[] }[]; consumers: { keyauth_credentials: { key: string }[] }[] };
  const local = parse(tollgateDeclarativeConfig(18080, 'key-auth-rl-local')) as Doc;
  const plugins = local.services[0].routes[0].plugins;
  assert.deepEqual(plugins.map((p) => p.name), ['key-auth', 'rate-limiting']);
  assert.deepEqual(plugins[1].config, { minute: BENCH_RATE_LIMIT, limit_by: 'consumer' });
  assert.equal(local.consumers[0].keyauth_credentials[0].key, BENCH_API_KEY);
  const redis = parse(tollgateDeclarativeConfig(18080, 'key-auth-rl-redis')) as Doc;
  assert.deepEqual(redis.services[0].routes[0].plugins[1].config, {
    minute: BENCH_RATE_LIMIT,
    limit_by: 'consumer',
    policy: 'redis',
    redis: { host: BENCH_REDIS.host, port: BENCH_REDIS.port, database: BENCH_REDIS.database },
  });
});
