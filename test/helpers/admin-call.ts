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

/**
 * Requests `base + path` over and over until stopped (outage tests keep the proxy busy through them); every
 * answer should be the upstream's 200, so anything else is collected in `failures`.
 */
export function keepRequesting(base: string, path: string): { stop(): Promise<{ served: number; failures: string[] }> } {
  let running = true;
  const failures: string[] = [];
  let served = 0;
  const done = (async () => {
    while (running) {
      try {
        const res = await request(`${base}${path}`);
        await res.body.text();
        if (res.statusCode === 200) served++;
        else failures.push(`status ${res.statusCode}`);
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { served, failures };
    },
  };
}
