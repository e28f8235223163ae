import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadYaml as parse } from '../../src/declarative/yaml.ts';
import { tollgateDeclarativeConfig, tollgateEnvironment } from './tollgate-config.ts';

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

test('http-log-dead: the route runs http-log to the given collector port', () => {
  const doc = parse(tollgateDeclarativeConfig(18080, 'http-log-dead', 19999)) as {
    services: { routes: { plugins: { name: string; config: { http_endpoint: string } }[] }[] }[];
  };
  assert.deepEqual(doc.services[0].routes[0].plugins, [{ name: 'http-log', config: { http_endpoint: 'http://127.0.0.1:19999/' } }]);
});
