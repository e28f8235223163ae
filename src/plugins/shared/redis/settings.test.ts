/** The plugins' `redis` record as connection settings: Kong's defaults, Sentinel and Cluster. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisSettings } from './settings.ts';

test('one server: defaults as Kong, timeouts from timeout unless given', () => {
  const s = redisSettings({ host: 'r.test', timeout: 500, read_timeout: 900 });
  assert.equal(s.host, 'r.test');
  assert.equal(s.port, 6379);
  assert.equal(s.database, 0);
  assert.equal(s.connectTimeout, 500);
  assert.equal(s.commandTimeout, 900);
  assert.equal(s.sentinel, null);
  assert.equal(s.cluster, null);
  assert.equal(redisSettings({}).connectTimeout, 2000);
});

test('Sentinel: master, role and sentinels; their credentials apart from the master', () => {
  const s = redisSettings({
    sentinel_master: 'mymaster',
    sentinel_role: 'slave',
    sentinel_nodes: [{ host: 's1.test', port: 26379 }, { host: 's2.test' }],
    sentinel_password: 'sp',
    password: 'mp',
  });
  assert.deepEqual(s.sentinel, { master: 'mymaster', role: 'slave', nodes: [{ host: 's1.test', port: 26379 }, { host: 's2.test', port: 6379 }], username: null, password: 'sp' });
  assert.equal(s.password, 'mp');
  assert.equal(redisSettings({ sentinel_master: 'm', sentinel_role: 'any', sentinel_nodes: [{ host: 's' }] }).sentinel?.role, 'any');
  // Without nodes there is no Sentinel to ask (the schema requires them together).
  assert.equal(redisSettings({ sentinel_master: 'm' }).sentinel, null);
});

test('Cluster: seed nodes by ip, redirections defaulting to 5', () => {
  const s = redisSettings({ cluster_nodes: [{ ip: '10.0.0.1', port: 7000 }, { ip: '10.0.0.2' }] });
  assert.deepEqual(s.cluster, { nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 6379 }], maxRedirections: 5 });
  assert.equal(redisSettings({ cluster_nodes: [{ ip: 'c' }], cluster_max_redirections: 2 }).cluster?.maxRedirections, 2);
});
