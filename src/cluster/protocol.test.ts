import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControlPlaneMessage, parseDataPlaneMessage, versionIncompatibility } from './protocol.ts';

test('data plane messages: known shapes parse, anything else is null', () => {
  const hello = parseDataPlaneMessage(JSON.stringify({
    type: 'hello', node_id: 'n', hostname: 'h', version: '0.1.0', config_hash: '0'.repeat(32),
    plugins: [{ name: 'key-auth', version: '0.1.0' }, { bogus: true }], labels: { zone: 'a', bad: 1 },
  }));
  assert.deepEqual(hello, {
    type: 'hello', node_id: 'n', hostname: 'h', version: '0.1.0', config_hash: '0'.repeat(32),
    plugins: [{ name: 'key-auth', version: '0.1.0' }], labels: {},
  });
  assert.equal(parseDataPlaneMessage('{"type":"applied","config_hash":"a","target_hash":"b","ok":false,"error":"x"}')?.type, 'applied');
  assert.equal(parseDataPlaneMessage('{"type":"resync","config_hash":"a"}')?.type, 'resync');
  for (const bad of ['', 'null', '[]', '{"type":"hello"}', '{"type":"applied","ok":"yes"}', '{"type":"other"}']) {
    assert.equal(parseDataPlaneMessage(bad), null, bad);
  }
  assert.equal(parseControlPlaneMessage('{"type":"welcome","control_plane_id":"c"}')?.type, 'welcome');
  assert.equal(parseControlPlaneMessage('{"type":"refused","reason":"r"}')?.type, 'refused');
  assert.equal(parseControlPlaneMessage('{"type":"welcome"}'), null);
});

test('version rule: same major, data plane minor not newer; before 1.0 the minors match', () => {
  assert.equal(versionIncompatibility('1.4.2', '1.5.0'), null);
  assert.equal(versionIncompatibility('1.5.9', '1.5.0'), null);
  assert.match(versionIncompatibility('1.6.0', '1.5.0') ?? '', /newer than the control plane/);
  assert.match(versionIncompatibility('2.0.0', '1.5.0') ?? '', /different major version/);
  assert.equal(versionIncompatibility('0.1.7', '0.1.0'), null);
  assert.match(versionIncompatibility('0.0.9', '0.1.0') ?? '', /too old .*minor versions must match/);
  assert.match(versionIncompatibility('banana', '0.1.0') ?? '', /not a version number/);
});
