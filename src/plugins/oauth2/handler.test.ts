/** oauth2's access phase without a network: endpoint paths, the token's sources, anonymous and logical OR. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestPluginDb, type PdkEnvironment, type PluginContext, type PluginDbRequest } from '../../pdk/index.ts';
import { configData, pluginContext, TEST_ENV, upstreamHeader as upstream } from '../../../test/support/plugin-context.ts';
import { oauth2Handler } from './handler.ts';
import type { OAuth2Conf } from './conf.ts';
import type { OAuth2Config } from './schema.ts';

const DATA = configData({
  consumers: [
    { id: 'c-ann', username: 'ann', custom_id: null },
    { id: 'c-anon', username: 'anonymous', custom_id: null },
  ],
  oauth2_credentials: [{ id: 'o-ann', consumer: { id: 'c-ann' }, name: 'app', client_id: 'ann-app', client_secret: 's', hash_secret: false, client_type: 'confidential' }],
});

const lookups: PluginDbRequest[] = [];
const ENV: PdkEnvironment = {
  ...TEST_ENV,
  db: new RequestPluginDb(async (request) => {
    lookups.push(request);
    return null;
  }),
};

function conf(config: Partial<OAuth2Config> = {}): OAuth2Conf {
  const full = {
    scopes: null,
    mandatory_scope: false,
    provision_key: 'pk',
    token_expiration: 7200,
    enable_authorization_code: true,
    enable_implicit_grant: false,
    enable_client_credentials: false,
    enable_password_grant: false,
    hide_credentials: false,
    accept_http_if_already_terminated: false,
    anonymous: null,
    global_credentials: false,
    auth_header_name: 'authorization',
    refresh_token_ttl: 1209600,
    reuse_refresh_token: false,
    pkce: 'lax',
    realm: null,
    ...config,
  } as OAuth2Config;
  return oauth2Handler.prepare!(full, DATA, { id: 'p1', route: null, service: null, consumer: null });
}

async function run(c: OAuth2Conf, method: string, url: string, headers: string[] = [], before?: (ctx: PluginContext) => void): Promise<PluginContext> {
  const upstreamHeaders = ['X-Authenticated-Scope', 'forged', 'X-Authenticated-UserId', 'forged'];
  const ctx = pluginContext({ method, url, headers, upstreamHeaders, data: DATA, env: ENV });
  before?.(ctx);
  await oauth2Handler.access!(ctx, c);
  return ctx;
}


describe('oauth2 access phase', () => {
  test('the endpoints are the paths ending in /oauth2/token or /oauth2/authorize (a final slash too), POST only', async () => {
    for (const [url, endpoint] of [['/api/oauth2/token', 'token'], ['/oauth2/token/', 'token'], ['/x/oauth2/authorize', 'authorization']]) {
      const ctx = await run(conf(), 'GET', url);
      assert.equal(ctx.exited?.status, 405, url);
      assert.deepEqual(ctx.exited?.body, { error: 'invalid_method', error_description: `The HTTP method GET is invalid for the ${endpoint} endpoint` });
    }
    const notEndpoint = await run(conf(), 'GET', '/oauth2/tokens');
    assert.equal(notEndpoint.exited?.status, 401);
    assert.deepEqual(notEndpoint.exited?.headers, ['WWW-Authenticate', 'Bearer']);
  });

  test('a header that is not Bearer/Token is looked up whole; another header than auth_header_name is ignored', async () => {
    lookups.length = 0;
    const ctx = await run(conf(), 'GET', '/r', ['Authorization', 'Basic abc']);
    assert.equal(ctx.exited?.status, 401);
    assert.deepEqual(ctx.exited?.body, { error: 'invalid_token', error_description: 'The access token is invalid or has expired' });
    assert.deepEqual(lookups, [{ op: 'selectBy', entity: 'oauth2_tokens', field: 'access_token', value: 'Basic abc' }]);
    const custom = await run(conf({ auth_header_name: 'X-Token' }), 'GET', '/r', ['Authorization', 'Bearer abc']);
    assert.deepEqual(custom.exited?.body, { error: 'invalid_request', error_description: 'The access token is missing' });
  });

  test('anonymous replaces failures; a credential from an earlier plugin wins and clears the token headers', async () => {
    const anonymous = await run(conf({ anonymous: 'anonymous' }), 'GET', '/r');
    assert.equal(anonymous.exited, null);
    assert.equal(upstream(anonymous, 'X-Consumer-ID'), 'c-anon');
    assert.equal(upstream(anonymous, 'X-Anonymous-Consumer'), 'true');
    assert.equal(upstream(anonymous, 'X-Authenticated-UserId'), undefined);
    const earlier = await run(conf({ anonymous: 'anonymous' }), 'GET', '/r', [], (ctx) =>
      ctx.client.authenticate({ id: 'c-ann', username: 'ann', custom_id: null }, { id: 'k', consumer: { id: 'c-ann' } }),
    );
    assert.equal(earlier.exited, null);
    assert.equal(earlier.credential?.id, 'k');
    assert.equal(upstream(earlier, 'X-Authenticated-Scope'), undefined);
    const missing = await run(conf({ anonymous: 'ghost' }), 'GET', '/r');
    assert.equal(missing.exited?.status, 500);
    assert.equal(missing.exited?.body, "anonymous consumer ghost is configured but doesn't exist");
  });
});
