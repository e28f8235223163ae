import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { emptyFlatConfig } from '../declarative/index.ts';
import { MemoryAuditTrail, auditPath } from './audit-trail.ts';
import { AdminTokens, presentedToken } from './security.ts';
import { startTestAdmin, type TestAdmin } from './test-support.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const TOKEN = 'correct-horse-battery-staple';
const HASHED_TOKEN = 'only-its-hash-is-configured';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const idOf = (token: string) => sha256(token).slice(0, 8);
const fakeRequest = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

test('tokens are accepted from Bearer or Tollgate-Admin-Token, plain or as sha256:<hex>, and named by their hash', () => {
  const tokens = new AdminTokens([TOKEN, `sha256:${sha256(HASHED_TOKEN).toUpperCase()}`]);
  assert.equal(tokens.required, true);
  assert.deepEqual(tokens.authenticate(fakeRequest({ authorization: `Bearer ${TOKEN}` })), { tokenId: idOf(TOKEN) });
  assert.deepEqual(tokens.authenticate(fakeRequest({ authorization: `bearer  ${HASHED_TOKEN}` })), { tokenId: idOf(HASHED_TOKEN) });
  assert.deepEqual(tokens.authenticate(fakeRequest({ 'tollgate-admin-token': TOKEN })), { tokenId: idOf(TOKEN) });
  assert.equal(tokens.authenticate(fakeRequest({})), null);
  assert.equal(tokens.authenticate(fakeRequest({ authorization: `Bearer ${TOKEN}x` })), null);
  assert.equal(tokens.authenticate(fakeRequest({ authorization: `Basic ${TOKEN}` })), null);
  assert.equal(tokens.authenticate(fakeRequest({ authorization: `Bearer sha256:${sha256(HASHED_TOKEN)}` })), null, 'the hash is not the token');
  assert.equal(presentedToken(fakeRequest({ authorization: 'Basic x', 'tollgate-admin-token': ' t ' })), 't');
});

test('no configured tokens: everyone is let in, as anonymous', () => {
  const open = new AdminTokens([]);
  assert.equal(open.required, false);
  assert.deepEqual(open.authenticate(fakeRequest({})), { tokenId: 'anonymous' });
  assert.deepEqual(open.authenticate(fakeRequest({ authorization: `Bearer ${TOKEN}` })), { tokenId: 'anonymous' });
});

test('the audit path drops the query string and hides key-auth keys, not ids', () => {
  assert.equal(auditPath('/services/s?token=abc'), '/services/s');
  assert.equal(auditPath('/consumers/alice/key-auth/my-secret-key'), '/consumers/alice/key-auth/******');
  assert.equal(auditPath('/key-auths/my-secret-key/consumer'), '/key-auths/******/consumer');
  const id = '0b8c3c5a-4e6f-4c1e-9d6b-2f1b3a4c5d6e';
  assert.equal(auditPath(`/key-auths/${id}`), `/key-auths/${id}`);
});

test('the in-memory audit log keeps the newest records only and pages newest first', async () => {
  const trail = new MemoryAuditTrail(3);
  for (let n = 1; n <= 5; n++) {
    await trail.append({ id: `r${n}`, created_at: n, token_id: 'anonymous', client_ip: '::1', method: 'POST', path: `/p${n}`, status: 201, dropped: 0 });
  }
  const first = await trail.list({ size: 2 });
  assert.deepEqual(first.data.map((r) => r.id), ['r5', 'r4']);
  const second = await trail.list({ size: 2, offset: first.offset });
  assert.deepEqual(second.data.map((r) => r.id), ['r3']);
  assert.equal(second.offset, null);
  await assert.rejects(trail.list({ size: 1, offset: '@@' }), /not a valid offset/);
});

describe('Admin API with admin_api_tokens, on a database', () => {
  let admin: TestAdmin;
  const auth = { authorization: `Bearer ${TOKEN}` };
  before(async () => {
    admin = await startTestAdmin({ settings: { admin_api_tokens: `${TOKEN}, sha256:${sha256(HASHED_TOKEN)}` } });
  });
  after(async () => {
    await admin?.close();
  });

  test('a request without a valid token gets 401 with a challenge, and changes nothing', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { 'tollgate-admin-token': 'wrong' }];
    for (const headers of attempts) {
      const r = await admin.call('POST', '/services?name=from-query', { json: { name: 'refused', host: 'example.com' }, headers });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { message: 'Unauthorized' });
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="tollgate-admin"');
    }
    assert.equal((await admin.call('DELETE', '/services/anything')).status, 401);
    assert.equal((await admin.call('GET', '/services')).status, 401, 'reads need a token too');
    assert.equal((await admin.call('GET', '/no-such-path')).status, 401, 'unknown paths are not revealed');
    assert.deepEqual((await admin.store!.list('services', { size: 10 })).data, []);
  });

  test('OPTIONS preflights pass without a token', async () => {
    const r = await admin.call('OPTIONS', '/services', { headers: { origin: 'http://manager', 'access-control-request-method': 'POST' } });
    assert.equal(r.status, 204);
    assert.match(String(r.headers['access-control-allow-methods']), /POST/);
  });

  test('a valid token in either header reaches the Admin API', async () => {
    const created = await admin.call('POST', '/services', { json: { name: 'allowed', host: 'example.com' }, headers: auth });
    assert.equal(created.status, 201, created.text);
    const viaHeader = await admin.call('PATCH', '/services/allowed', { json: { port: 8080 }, headers: { 'tollgate-admin-token': HASHED_TOKEN } });
    assert.equal(viaHeader.status, 200, viaHeader.text);
    assert.equal((await admin.call('GET', '/services/allowed', { headers: auth })).body.port, 8080);
  });

  test('GET /audit/requests lists every write, refused ones too, newest first, without bodies or tokens', async () => {
    // Records are written once each response has finished: wait for the last one.
    let r = await admin.call('GET', '/audit/requests', { headers: auth });
    for (let tries = 0; r.body.data.length < 6 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      r = await admin.call('GET', '/audit/requests', { headers: auth });
    }
    assert.equal(r.status, 200);
    assert.equal(r.body.next, null);
    const rows = r.body.data as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((row) => [row.method, row.path, row.status, row.token_id]),
      [
        ['PATCH', '/services/allowed', 200, idOf(HASHED_TOKEN)],
        ['POST', '/services', 201, idOf(TOKEN)],
        ['DELETE', '/services/anything', 401, 'anonymous'],
        ['POST', '/services', 401, 'anonymous'],
        ['POST', '/services', 401, 'anonymous'],
        ['POST', '/services', 401, 'anonymous'],
      ],
    );
    for (const row of rows) {
      assert.equal(row.client_ip, '127.0.0.1');
      assert.match(String(row.id), /^[0-9a-f-]{36}$/);
      assert.ok(Math.abs(Number(row.created_at) - Date.now() / 1000) < 60);
    }
    for (const secret of [TOKEN, HASHED_TOKEN, 'refused', 'from-query', sha256(TOKEN)]) assert.ok(!r.text.includes(secret), secret);
    assert.equal((await admin.call('GET', '/audit/requests')).status, 401, 'the audit log needs a token');

    const page = await admin.call('GET', '/audit/requests?size=2', { headers: auth });
    assert.equal(page.body.data.length, 2);
    assert.match(page.body.next, /^\/audit\/requests\?offset=[^&]+&size=2$/);
    const rest = await admin.call('GET', page.body.next, { headers: auth });
    assert.deepEqual(rest.body.data.map((row: { status: number }) => row.status), [401, 401]);
    assert.equal((await admin.call('GET', '/audit/requests?offset=%25%25', { headers: auth })).status, 400);
  });

  test('the tokens are shown as ****** in GET /', async () => {
    const r = await admin.call('GET', '/', { headers: auth });
    assert.equal(r.body.configuration.admin_api_tokens, '******');
    assert.ok(!r.text.includes(TOKEN));
  });
});

describe('Admin API without tokens, DB-less', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin({ db: false, config: emptyFlatConfig() });
  });
  after(async () => {
    await admin?.close();
  });

  test('is open (Kong-compatible) and keeps the audit log in memory', async () => {
    const refused = await admin.call('POST', '/services', { json: { name: 'x', host: 'example.com' } });
    assert.equal(refused.status, 405, 'DB-less refuses writes');
    let r = await admin.call('GET', '/audit/requests');
    for (let tries = 0; r.body.data.length < 1 && tries < 100; tries++) r = await admin.call('GET', '/audit/requests');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.data.map((row: Record<string, unknown>) => [row.method, row.path, row.status, row.token_id]),
      [['POST', '/services', 405, 'anonymous']],
    );
  });
});
