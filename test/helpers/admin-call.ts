import { request } from 'undici';

/**
 * One Admin API call with a JSON body, waiting as long as a node under a database outage may take to answer;
 * the body comes back parsed (or as `{ raw }` when it is not JSON).
 */
export async function adminCall(base: string, method: string, path: string, body?: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await request(`${base}${path}`, {
    method: method as 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await res.body.text();
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.statusCode, body: parsed };
}
