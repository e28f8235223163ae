import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginContext, PluginConsumer } from '../../pdk/index.ts';
import { configData, pluginContext, upstreamHeader as upstream } from '../../../test/support/plugin-context.ts';
import { aclHandler, type AclConf } from './handler.ts';
import type { AclConfig } from './schema.ts';

const DATA = configData({
  consumers: [
    { id: 'c-admin', username: 'admin', custom_id: null },
    { id: 'c-pro', username: 'pro', custom_id: null },
    { id: 'c-none', username: 'none', custom_id: null },
  ],
  acls: [
    { id: 'a1', consumer: { id: 'c-admin' }, group: 'admin' },
    { id: 'a2', consumer: { id: 'c-pro' }, group: 'pro' },
    { id: 'a3', consumer: { id: 'c-pro' }, group: 'hello' },
  ],
});

function conf(config: Partial<Record<keyof AclConfig, unknown>>): AclConf {
  return aclHandler.prepare!({ allow: null, deny: null, hide_groups_header: false, always_use_authenticated_groups: false, ...config } as AclConfig, DATA);
}

const consumer = (id: string): PluginConsumer => ({ id, username: id.slice(2), custom_id: null });

/** A request as the authentication plugins left it: a consumer, a credential (null: anonymous), groups. */
function run(c: AclConf, who: { consumer?: string; credential?: boolean; groups?: unknown } = {}): PluginContext {
  const ctx = pluginContext({ upstreamHeaders: ['X-Consumer-Groups', 'forged'], data: DATA });
  if (who.consumer !== undefined) {
    ctx.client.authenticate(consumer(who.consumer), who.credential === false ? null : { id: 'cred', consumer: { id: who.consumer } });
  }
  if (who.groups !== undefined) ctx.sharedCtx.authenticated_groups = who.groups;
  const result = aclHandler.access!(ctx, c);
  assert.equal(result, undefined, 'acl is synchronous');
  return ctx;
}


describe('acl', () => {
  test('allow: a member passes with its groups upstream; others get 403', () => {
    const ok = run(conf({ allow: ['admin'] }), { consumer: 'c-admin' });
    assert.equal(ok.exited, null);
    assert.equal(upstream(ok, 'X-Consumer-Groups'), 'admin');
    assert.equal(upstream(ok, 'X-Authenticated-Groups'), undefined);
    const pro = run(conf({ allow: ['hello', 'x'] }), { consumer: 'c-pro' });
    assert.equal(upstream(pro, 'X-Consumer-Groups'), 'pro, hello');
    assert.deepEqual(run(conf({ allow: ['admin'] }), { consumer: 'c-pro' }).exited, { status: 403, kind: 'error', body: 'You cannot consume this service', headers: [] });
  });

  test('deny: a member gets 403; others pass, even without groups', () => {
    assert.equal(run(conf({ deny: ['admin'] }), { consumer: 'c-admin' }).exited?.status, 403);
    assert.equal(run(conf({ deny: ['admin'] }), { consumer: 'c-pro' }).exited, null);
    const none = run(conf({ deny: ['admin'] }), { consumer: 'c-none' });
    assert.equal(none.exited, null);
    assert.equal(upstream(none, 'X-Consumer-Groups'), '', 'Kong sends the empty list');
  });

  test('allow and a consumer without groups: 403 with a credential, 401 without (anonymous)', () => {
    assert.equal(run(conf({ allow: ['admin'] }), { consumer: 'c-none' }).exited?.status, 403);
    const anonymous = run(conf({ allow: ['admin'] }), { consumer: 'c-none', credential: false });
    assert.equal(anonymous.exited?.status, 401);
    assert.equal(anonymous.exited?.body, null, 'Kong\'s default message for the status');
  });

  test('nobody authenticated: 401; with authenticated groups, those decide (X-Authenticated-Groups)', () => {
    assert.equal(run(conf({ allow: ['admin'] })).exited?.status, 401);
    const byGroups = run(conf({ allow: ['admin'] }), { groups: ['admin', 'ops'] });
    assert.equal(byGroups.exited, null);
    assert.equal(upstream(byGroups, 'X-Authenticated-Groups'), 'admin, ops');
    assert.equal(upstream(byGroups, 'X-Consumer-Groups'), 'forged', 'Kong leaves the consumer header alone');
    assert.equal(run(conf({ allow: ['admin'] }), { groups: ['ops'] }).exited?.status, 403);
    assert.equal(run(conf({ allow: ['admin'] }), { groups: 'admin' }).exited?.status, 401, 'not a list: ignored');
  });

  test('anonymous consumer: authenticated groups override its own; always_use_authenticated_groups for real consumers', () => {
    const anon = run(conf({ allow: ['admin'] }), { consumer: 'c-pro', credential: false, groups: ['admin'] });
    assert.equal(anon.exited, null);
    assert.equal(upstream(anon, 'X-Authenticated-Groups'), 'admin');
    assert.equal(run(conf({ allow: ['admin'] }), { consumer: 'c-pro', groups: ['admin'] }).exited?.status, 403, 'a credential: own groups');
    const always = run(conf({ allow: ['admin'], always_use_authenticated_groups: true }), { consumer: 'c-pro', groups: ['admin'] });
    assert.equal(always.exited, null);
    const fallback = run(conf({ allow: ['pro'], always_use_authenticated_groups: true }), { consumer: 'c-pro' });
    assert.equal(upstream(fallback, 'X-Consumer-Groups'), 'pro, hello', 'no authenticated groups: the consumer\'s');
  });

  test('hide_groups_header sends no groups header', () => {
    const ctx = run(conf({ allow: ['admin'], hide_groups_header: true }), { consumer: 'c-admin' });
    assert.equal(ctx.exited, null);
    assert.equal(upstream(ctx, 'X-Consumer-Groups'), 'forged');
  });

  test('decisions are computed once per consumer group list', () => {
    const c = conf({ allow: ['admin'] });
    run(c, { consumer: 'c-admin' });
    run(c, { consumer: 'c-admin' });
    run(c, { consumer: 'c-pro' });
    assert.equal(c.decisions.size, 2);
  });
});
