/** The OAuth 2.0 pieces the endpoints share: scopes, PKCE challenges, challenges headers, redirect URIs, tokens. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerChallenge, randomToken, redirectWith, retrieveCodeChallenge, retrieveScope, s256 } from './protocol.ts';

test('scopes: checked against the configured ones, joined; required with mandatory_scope', () => {
  const scopes = new Set(['email', 'profile']);
  assert.deepEqual(retrieveScope({ scope: 'email  profile' }, scopes, false), { scope: 'email profile' });
  assert.deepEqual(retrieveScope({ scope: 'email admin' }, scopes, false), { error: { error: 'invalid_scope', error_description: '"admin" is an invalid scope' } });
  assert.deepEqual(retrieveScope({ scope: ['email'] }, scopes, false), { error: { error: 'invalid_scope', error_description: 'scope must be a string' } });
  assert.deepEqual(retrieveScope({}, scopes, true), { error: { error: 'invalid_scope', error_description: 'You must specify a scope' } });
  assert.deepEqual(retrieveScope({ scope: 'anything' }, null, false), {}, 'without configured scopes the parameter is ignored');
});

test('code challenges: S256 only (any case), normalised to unpadded base64url', () => {
  assert.deepEqual(retrieveCodeChallenge({ code_challenge: 'abc_-Q==' }), { challenge: 'abc_-Q', method: 'S256' });
  assert.deepEqual(retrieveCodeChallenge({ code_challenge: 'x', code_challenge_method: 's256' }), { challenge: 'x', method: 'S256' });
  assert.equal(retrieveCodeChallenge({ code_challenge: 'x', code_challenge_method: 'plain' }).error, 'code_challenge_method is not supported, must be S256');
  assert.equal(retrieveCodeChallenge({ code_challenge_method: 'S256' }).error, 'code_challenge is required when code_method is present');
  assert.equal(retrieveCodeChallenge({}).challenge, undefined);
  // Kong's cases: padding, and the standard alphabet's + and /.
  assert.equal(retrieveCodeChallenge({ code_challenge: '2aC4cMSkAsMRtZbhHhiZkDW3sddRf_iTRGil1r9gi8w=' }).challenge, s256('abcdelfhigklmnopqrstuvwxyz0123456789abcdefg'));
  assert.equal(retrieveCodeChallenge({ code_challenge: '0LoS6Gtrw16r07+ZXsCf8MeAi21QHmKc3LJdUCA5w/o=' }).challenge, s256('abcdelfhigklmnopqrstuvwxyz0123456789abcdefghijklmnop9'));
  // RFC 7636 appendix B.
  assert.equal(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('WWW-Authenticate: Bearer with realm and error when there are any', () => {
  assert.equal(bearerChallenge(null), 'Bearer');
  assert.equal(bearerChallenge('r'), 'Bearer realm="r"');
  assert.equal(bearerChallenge('', 'invalid_token', 'gone'), 'Bearer error="invalid_token", error_description="gone"');
});

test('redirect URIs keep their own arguments; the implicit grant answers in the fragment', () => {
  assert.equal(redirectWith('http://a.test/cb', { code: 'c', state: 's t' }, false), 'http://a.test/cb?code=c&state=s%20t');
  assert.equal(redirectWith('http://a.test/cb?keep=1', { code: 'c', state: undefined }, false), 'http://a.test/cb?code=c&keep=1');
  assert.equal(redirectWith('http://a.test/cb?keep=1', { access_token: 't', token_type: 'bearer' }, true), 'http://a.test/cb?keep=1#access_token=t&token_type=bearer');
});

test('random tokens: 32 letters and digits, different each time', () => {
  const a = randomToken();
  assert.match(a, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(a, randomToken());
});
