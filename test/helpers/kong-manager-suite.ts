/**
 * The Admin API client of Kong Manager's end-to-end suite (`tests/playwright/commands/*KongResource.ts` in
 * Kong/kong-manager), rewritten for our tests: it lists by following `next` with the base URL prepended, deletes
 * each row by `id || name`, and creates with JSON POSTs. `ui()` makes a call the way the browser app does,
 * from another origin, and checks that the answer is readable there (CORS with credentials), since a browser
 * hides the body of an answer without those headers and the app would show no error message.
 */
import assert from 'node:assert/strict';
import { request } from 'undici';

/** Where the suite serves Kong Manager from (its KM_TEST_GUI_URL default); the Admin API is another origin. */
export const GUI_ORIGIN = 'http://localhost:8080';

export interface SuiteResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // `any` on purpose: tests read arbitrary JSON bodies and assert on them (this module is for tests only).
  body: any;
}

export class KongManagerSuiteClient {
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  /** One call; `origin` adds the browser's Origin header. */
  async call(method: string, path: string, json?: unknown, origin?: string): Promise<SuiteResponse> {
    const headers: Record<string, string> = {};
    if (json !== undefined) headers['content-type'] = 'application/json';
    if (origin !== undefined) headers.origin = origin;
    const res = await request(`${this.base}${path}`, {
      method: method as 'GET',
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  /** A call made by the app in the browser: the answer must be readable from the GUI's origin. */
  async ui(method: string, path: string, json?: unknown): Promise<SuiteResponse> {
    const r = await this.call(method, path, json, GUI_ORIGIN);
    assert.equal(r.headers['access-control-allow-origin'], GUI_ORIGIN, `${method} ${path}: CORS origin`);
    assert.equal(r.headers['access-control-allow-credentials'], 'true', `${method} ${path}: CORS credentials`);
    return r;
  }

  /** `createKongResource`: a JSON POST that must succeed (the suite throws otherwise). */
  async create(endpoint: string, payload: Record<string, unknown>): Promise<any> {
    const r = await this.call('POST', endpoint, payload);
    assert.equal(r.status, 201, `POST ${endpoint}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** `clearKongResources`: every page through `next`, then a DELETE per row by `id || name`. */
  async clear(endpoint: string): Promise<number> {
    const items: { id?: string; name?: string }[] = [];
    let next: string | null = endpoint;
    while (next !== null) {
      const r = await this.call('GET', next);
      assert.equal(r.status, 200, `GET ${next}: ${JSON.stringify(r.body)}`);
      if (Array.isArray(r.body.data)) items.push(...r.body.data);
      // The suite prepends the base URL to `next`, so it must be a path on the Admin API.
      if (r.body.next) {
        assert.match(r.body.next, /^\//, `next of ${endpoint} is a path`);
        next = r.body.next as string;
      } else next = null;
    }
    // The suite deletes with ten workers at once.
    const queue = [...items];
    await Promise.all(Array.from({ length: 10 }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        const r = await this.call('DELETE', `${endpoint}/${item.id || item.name}`);
        assert.equal(r.status, 204, `DELETE ${endpoint}/${item.id || item.name}: ${JSON.stringify(r.body)}`);
      }
    }));
    return items.length;
  }
}
