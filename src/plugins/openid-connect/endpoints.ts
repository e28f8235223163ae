/**
 * Calls to the provider's token and introspection endpoints, authenticated as a client (client_secret_basic or
 * client_secret_post, Kong's two secret-based methods), and to its user info endpoint with a bearer token.
 */
import { call, type Transport } from './http.ts';

export type ClientAuth = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface Client {
  readonly id: string | null;
  readonly secret: string | null;
  /** The configured method, or null to pick from what the endpoint supports. */
  readonly auth: ClientAuth | null;
}

export function pickAuth(client: Client, supported: readonly string[] | undefined): ClientAuth {
  if (client.auth !== null) return client.auth;
  if (client.secret === null) return 'none';
  if (supported === undefined || supported.includes('client_secret_basic')) return 'client_secret_basic';
  if (supported.includes('client_secret_post')) return 'client_secret_post';
  return 'client_secret_basic';
}

// RFC 6749 2.3.1: the id and secret are form-encoded before they are joined for Basic.
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

/** POSTs a form as the client; resolves to the status and parsed JSON body (null when not JSON). */
export async function postForm(
  url: string,
  form: Record<string, string>,
  client: Client,
  auth: ClientAuth,
  t: Transport,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const params = new URLSearchParams(form);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (client.id !== null) {
    if (auth === 'client_secret_basic' && client.secret !== null) {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(client.id)}:${formEncode(client.secret)}`).toString('base64')}`;
    } else {
      params.set('client_id', client.id);
      if (auth === 'client_secret_post' && client.secret !== null) params.set('client_secret', client.secret);
    }
  }
  const res = await call(url, { method: 'POST', headers, body: params.toString() }, t);
  return { status: res.status, body: parseObject(res.text) };
}

/** GETs a URL with a bearer token (the user info endpoint); resolves to the status and parsed JSON object body. */
export async function getWithToken(url: string, token: string, t: Transport): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await call(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, t);
  return { status: res.status, body: parseObject(res.text) };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
