/**
 * oauth2: an OAuth 2.0 authorization server and resource guard in the gateway, as Kong's plugin is. On a
 * route's `.../oauth2/authorize` and `.../oauth2/token` paths it serves the flows (see `endpoints.ts`); every
 * other request must present a valid access token (see `authenticate.ts`), or is given the `anonymous`
 * consumer when one is configured. Tokens and codes live in the database (`kong.db`), so a node without one
 * (DB-less, a hybrid data plane) cannot issue them: those requests fail with a 500, as in Kong.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { useAnonymous } from '../shared/anonymous.ts';
import { authenticate, clearTokenHeaders } from './authenticate.ts';
import { prepareConf, type OAuth2Conf } from './conf.ts';
import { authorize, issueToken } from './endpoints.ts';
import { bearerChallenge } from './protocol.ts';
import type { OAuth2Config } from './schema.ts';

const TOKEN_PATH = /\/oauth2\/token\/?$/;
const AUTHORIZE_PATH = /\/oauth2\/authorize\/?$/;

function invalidMethod(kong: Kong, conf: OAuth2Conf, endpoint: string): void {
  const description = `The HTTP method ${kong.request.getMethod()} is invalid for the ${endpoint} endpoint`;
  kong.response.exit(
    405,
    { error: 'invalid_method', error_description: description },
    { 'WWW-Authenticate': bearerChallenge(conf.realm, 'invalid_method', description) },
  );
}

async function access(kong: Kong, conf: OAuth2Conf): Promise<void> {
  const path = kong.request.getPath();
  if (TOKEN_PATH.test(path)) {
    if (kong.request.getMethod() !== 'POST') return invalidMethod(kong, conf, 'token');
    return issueToken(kong, conf);
  }
  if (AUTHORIZE_PATH.test(path)) {
    if (kong.request.getMethod() !== 'POST') return invalidMethod(kong, conf, 'authorization');
    return authorize(kong, conf);
  }
  if (conf.anonymous === null) {
    const failure = await authenticate(kong, conf);
    if (failure !== null) kong.response.exit(failure.status, failure.body, failure.headers);
    return;
  }
  // With `anonymous`, any auth plugin may succeed ("logical OR"): one that already did wins.
  if (kong.client.getCredential() !== null) {
    clearTokenHeaders(kong);
    return;
  }
  const failure = await authenticate(kong, conf);
  if (failure === null) return;
  if (failure.status === 401 && failure.body.error_description?.startsWith('The access token is global') === true) {
    kong.response.exit(failure.status, failure.body, failure.headers);
    return;
  }
  if (useAnonymous(kong, conf)) clearTokenHeaders(kong);
}

export const oauth2Handler: PluginHandler<OAuth2Conf, OAuth2Config> = {
  name: 'oauth2',
  priority: 1400,
  version: '3.10.0',
  prepare: prepareConf,
  access,
};
