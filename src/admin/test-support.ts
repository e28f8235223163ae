/**
 * Test helpers: the Admin API in-process on an ephemeral port, over a fresh SQLite store in a temp file
 * (or DB-less over a given configuration), and a small client that returns status, headers and JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { loadSettings } from '../config/index.ts';
import { emptyFlatConfig, type FlatConfig } from '../declarative/index.ts';
import { registerPlugins, type PluginDefinitionForSchema, type PluginSchemaRegistry } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import type { Store } from '../store/types.ts';
import type { ClusterView, NodeContext } from './context.ts';
import { AdminApi } from './server.ts';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, the raw text when it is not JSON, or null for an empty body. */
  // `any` on purpose: tests read arbitrary JSON and assert on it (this module is for tests only).
  body: any;
  text: string;
}

export interface TestAdmin {
  url: string;
  store: Store | null;
  /** Errors the Admin API logged (500s). */
  logged: string[];
  call(method: string, path: string, options?: { json?: unknown; form?: string; body?: string; headers?: Record<string, string | string[]> }): Promise<TestResponse>;
  close(): Promise<void>;
}

function nodeContext(prefix: string, store: Store | null, config: FlatConfig, plugins?: PluginSchemaRegistry, overrides: Record<string, string> = {}): NodeContext {
  const settings = loadSettings({ env: {}, overrides: { prefix, admin_access_log: 'off', ...overrides } });
  return {
    settings,
    nodeId: '11111111-2222-4333-8444-555555555555',
    hostname: 'test-host',
    startedAt: Date.now(),
    currentConfig: () => ({ config, hash: 'f'.repeat(32) }),
    loadConfig: async () => ({ status: 'failed', message: 'not in tests' }),
    pids: () => ({ master: process.pid, workers: [] }),
    counters: async () => ({
      connections_accepted: 0,
      connections_active: 0,
      connections_handled: 0,
      connections_reading: 0,
      connections_writing: 0,
      connections_waiting: 0,
      total_requests: 0,
    }),
    notReadyReason: () => null,
    drain: () => undefined,
    store,
    plugins,
  };
}

/** Starts the Admin API on a new SQLite store (`db: true`) or DB-less over `config`; `settings` overrides tollgate.conf keys. */
export async function startTestAdmin(
  options: { db?: boolean; config?: FlatConfig; plugins?: PluginSchemaRegistry; settings?: Record<string, string>; clustering?: ClusterView } = {},
): Promise<TestAdmin> {
  // The bundled plugins' entities (credentials) are there, as on a node that enables them.
  registerPlugins(BUNDLED_PLUGINS);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-admin-'));
  const store = options.db === false ? null : await openSqliteStore(join(dir, 'tollgate.db'));
  const logged: string[] = [];
  const node = nodeContext(dir, store, options.config ?? emptyFlatConfig(), options.plugins, options.settings);
  const api = new AdminApi(options.clustering === undefined ? node : { ...node, clustering: options.clustering }, {
    log: { error: (message) => logged.push(message) },
  });
  const server: Server = createServer((req, res) => void api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    store,
    logged,
    async call(method, path, opts = {}) {
      const headers: Record<string, string | string[]> = { ...(opts.headers ?? {}) };
      let body: string | undefined = opts.body;
      if (opts.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(opts.json);
      } else if (opts.form !== undefined) {
        headers['content-type'] ??= 'application/x-www-form-urlencoded';
        body = opts.form;
      }
      const res = await request(`${url}${path}`, { method: method as 'GET', headers, body });
      const text = await res.body.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: res.statusCode, headers: res.headers, body: parsed, text };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Two plugin schemas shaped like Kong's, for tests of plugin entities (no plugins ship yet): a rate
 * limiter with numbers, a boolean, an enum and a nested record, and an authentication plugin that
 * cannot be scoped to a consumer.
 */
export const TEST_PLUGINS: PluginSchemaRegistry = new Map<string, PluginDefinitionForSchema>([
  [
    'rate-limiting',
    {
      name: 'rate-limiting',
      config: {
        type: 'record',
        fields: {
          second: { type: 'number', gt: 0 },
          minute: { type: 'number', gt: 0 },
          hour: { type: 'number', gt: 0 },
          policy: { type: 'string', default: 'local', one_of: ['local', 'cluster', 'redis'] },
          fault_tolerant: { type: 'boolean', required: true, default: true },
          redis: {
            type: 'record',
            required: true,
            fields: {
              host: { type: 'string' },
              port: { type: 'integer', default: 6379 },
            },
          },
        },
      },
    },
  ],
  [
    'key-auth',
    {
      name: 'key-auth',
      noConsumer: true,
      config: {
        type: 'record',
        fields: {
          key_names: { type: 'array', required: true, default: ['apikey'], elements: { type: 'string' } },
          hide_credentials: { type: 'boolean', required: true, default: false },
        },
      },
    },
  ],
]);
