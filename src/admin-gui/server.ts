/**
 * The Admin GUI listener (`admin_gui_listen`), as Kong's: `kconfig.js` telling Kong Manager where the Admin
 * API is, `robots.txt`, and the files of a Kong Manager build from `admin_gui_dir`, with Kong's single-page
 * fallback to `index.html` and its `/__km_base__/` placeholder replaced by `admin_gui_path`.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Settings } from '../config/settings-types.ts';
import { readPem } from '../config/index.ts';
import { listenHttp } from '../core/http-json.ts';
import { SERVER_TOKEN } from '../core/version.ts';
import type { Logger } from '../log/logger.ts';
import { ensureDefaultCertificate } from '../tls/default-certificate.ts';
import { listenAdminHttps, type AdminTlsOptions } from '../admin/admin-tls.ts';
import { listenerTlsPolicy } from '../tls/listener-tls.ts';
import { withAccessLog } from '../log/listener-access-log.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files whose text may carry the build's base placeholder. */
const TEXT_TYPES = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.txt', '.svg']);

/** Kong's hardening headers on every GUI file. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'sameorigin',
  'X-XSS-Protection': '1; mode=block',
  'X-Content-Type-Options': 'nosniff',
  'X-Permitted-Cross-Domain-Policies': 'master-only',
};

/** `kconfig.js` as Kong writes it: every value a string, in single quotes. */
export function kconfigScript(settings: Settings): string {
  const plain = settings.admin_listeners.find((l) => !l.ssl);
  const secure = settings.admin_listeners.find((l) => l.ssl);
  const values: [string, string][] = [
    ['ADMIN_GUI_PATH', settings.admin_gui_path],
    ['ADMIN_API_URL', settings.admin_gui_api_url ?? ''],
    ['ADMIN_API_PORT', plain === undefined ? '' : String(plain.port)],
    ['ADMIN_API_SSL_PORT', secure === undefined ? '' : String(secure.port)],
    ['ANONYMOUS_REPORTS', 'false'],
  ];
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n');
  return `window.K_CONFIG = {\n${values.map(([k, v]) => `  '${k}': '${escape(v)}'`).join(',\n')}\n}\n`;
}

/**
 * Kong's `admin_gui_csp_header` policy for the application's page: everything from its own origin, and
 * connections to the Admin API (`admin_gui_api_url`, else the page's host on the Admin API's first plain
 * and first `ssl` port) and to the GitHub API its star button calls.
 */
export function contentSecurityPolicy(settings: Settings, hostHeader: string | undefined): string {
  const connect = ["'self'", 'https://api.github.com/repos/kong/kong'];
  if (settings.admin_gui_api_url !== null) {
    connect.push(settings.admin_gui_api_url);
  } else {
    // nginx's $host: the Host header without its port.
    const host = (hostHeader ?? 'localhost').replace(/:\d+$/, '');
    const plain = settings.admin_listeners.find((l) => !l.ssl);
    const tls = settings.admin_listeners.find((l) => l.ssl);
    if (plain !== undefined) connect.push(`http://${host}:${plain.port}`);
    if (tls !== undefined) connect.push(`https://${host}:${tls.port}`);
  }
  return `default-src 'self'; connect-src ${connect.join(' ')}; img-src 'self' data:; script-src 'self' 'wasm-unsafe-eval'; ` +
    `script-src-elem 'self' https://buttons.github.io/buttons.js; style-src 'self' 'unsafe-inline';`;
}

export class AdminGui {
  readonly #settings: Settings;
  readonly #root: string;
  /** The path prefix without its trailing slash ('' for `/`). */
  readonly #base: string;
  readonly #kconfig: string;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.#root = resolve(settings.prefix, settings.admin_gui_dir);
    this.#base = settings.admin_gui_path === '/' ? '' : settings.admin_gui_path;
    this.#kconfig = kconfigScript(settings);
  }

  get root(): string {
    return this.#root;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Server', SERVER_TOKEN);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, method, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://gui').pathname);
    } catch {
      send(res, method, 400, 'text/plain; charset=utf-8', 'Bad request\n');
      return;
    }
    if (path !== this.#base && !path.startsWith(`${this.#base}/`)) {
      send(res, method, 404, 'text/plain; charset=utf-8', 'Not found\n');
      return;
    }
    const inner = path.slice(this.#base.length) || '/';
    if (inner === '/kconfig.js') {
      send(res, method, 200, 'application/javascript', this.#kconfig, { 'Cache-Control': 'no-cache', Expires: new Date(0).toUTCString() });
      return;
    }
    if (inner === '/robots.txt') {
      send(res, method, 200, 'text/plain', 'User-agent: *\nDisallow: /');
      return;
    }
    const asset = await this.#file(inner);
    if (asset !== null) {
      const ext = extname(asset).toLowerCase();
      send(res, method, 200, CONTENT_TYPES[ext] ?? 'application/octet-stream', await this.#read(asset, ext), {
        ...SECURITY_HEADERS,
        'Cache-Control': 'public, max-age=7776000',
      });
      return;
    }
    // Kong answers 404 for a missing asset and the application's page for any other path (client-side routes).
    if (/\.(jpg|jpeg|png|gif|svg|ico|css|ttf|js)$/i.test(inner)) {
      send(res, method, 404, 'text/plain; charset=utf-8', 'Not found\n');
      return;
    }
    const index = await this.#file('/index.html');
    if (index === null) {
      send(
        res,
        method,
        404,
        'text/plain; charset=utf-8',
        `Kong Manager is not installed: put a Kong Manager OSS build (its index.html and assets) in ${this.#root} ` +
          `(admin_gui_dir), or point Kong Manager's own server at this listener for kconfig.js.\n`,
      );
      return;
    }
    send(res, method, 200, 'text/html; charset=utf-8', await this.#read(index, '.html'), {
      ...(this.#settings.admin_gui_csp_header ? { 'Content-Security-Policy': contentSecurityPolicy(this.#settings, req.headers.host) } : {}),
      ...SECURITY_HEADERS,
      'Cache-Control': 'no-store, no-cache, must-revalidate, proxy-revalidate, max-age=0',
      'Referrer-Policy': 'strict-origin-when-cross-origin',
    });
  }

  /** The file under the root for a URL path, or null; never anything outside the root. */
  async #file(urlPath: string): Promise<string | null> {
    const relative = normalize(urlPath).replace(/^([/\\])+/, '');
    if (relative === '' || relative.split(sep).includes('..')) return null;
    const full = join(this.#root, relative);
    if (!full.startsWith(this.#root + sep)) return null;
    try {
      return (await stat(full)).isFile() ? full : null;
    } catch {
      return null;
    }
  }

  async #read(file: string, ext: string): Promise<Buffer | string> {
    const bytes = await readFile(file);
    if (!TEXT_TYPES.has(ext)) return bytes;
    // Kong Manager's production build refers to its assets under this placeholder; Kong rewrites it when serving.
    return bytes.toString('utf8').replaceAll('/__km_base__/', `${this.#base}/`);
  }
}

function send(
  res: ServerResponse,
  method: string,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': String(length) });
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * Starts the Admin GUI on every `admin_gui_listen` address of a node that has an Admin API and is not a data
 * plane (as Kong). A listener that cannot open is logged and skipped: the gateway does not need its GUI.
 */
export async function startAdminGui(settings: Settings, log: Logger): Promise<Server[]> {
  if (settings.role === 'data_plane' || settings.admin_listeners.length === 0) return [];
  const gui = new AdminGui(settings);
  const handler = withAccessLog(settings.admin_gui_access_log, settings.prefix, (req: IncomingMessage, res: ServerResponse): void => {
    gui.handle(req, res).catch((err: Error) => {
      log.error(`admin GUI: ${err.message}`);
      if (!res.headersSent) send(res, req.method ?? 'GET', 500, 'text/plain; charset=utf-8', 'An unexpected error occurred\n');
      else res.destroy();
    });
  });
  const servers: Server[] = [];
  let tls: AdminTlsOptions | undefined;
  for (const l of settings.admin_gui_listeners) {
    try {
      if (l.ssl) {
        if (tls === undefined) {
          const own = settings.admin_gui_ssl_cert.length > 0 && settings.admin_gui_ssl_cert_key.length > 0;
          const pair = own ? { cert: readPem(settings.admin_gui_ssl_cert[0]), key: readPem(settings.admin_gui_ssl_cert_key[0]) } : ensureDefaultCertificate(settings.prefix);
          const policy = listenerTlsPolicy(settings);
          tls = { ...pair, clientCa: null, minVersion: policy.minVersion, policy };
        }
        servers.push(await listenAdminHttps({ ...l, http2: false }, tls, handler));
      } else {
        servers.push(await listenHttp(l, handler));
      }
      log.info(`admin GUI listening on ${l.listener}`);
    } catch (err) {
      log.error(`admin GUI: could not listen on ${l.listener}: ${(err as Error).message}; the gateway runs without it (set admin_gui_listen)`);
    }
  }
  return servers;
}
