import type { IncomingMessage } from 'node:http';
import type { BalancerRequest } from '../balancer/types.ts';
import type { PluginContext } from '../pdk/context.ts';
import type { RoutedRequest } from './handler.ts';
import type { ProxyResponse } from './proxy-response.ts';

/**
 * The request as a hashing balancer reads it. Made only for routes whose upstream hashes, and each input
 * is read only when asked for.
 */
export class RequestHashInputs implements BalancerRequest {
  hashValue: string | null = null;
  hashCookie: { name: string; value: string; path: string } | null = null;
  readonly clientIp: string;
  readonly path: string;
  readonly #req: IncomingMessage;
  readonly #captures: Readonly<Record<string, string>> | null;
  readonly #plugins: PluginContext | null;
  #query: URLSearchParams | null = null;
  #cookies: Map<string, string> | null = null;

  constructor(req: IncomingMessage, clientIp: string, path: string, captures: Readonly<Record<string, string>> | null, plugins: PluginContext | null) {
    this.#req = req;
    this.clientIp = clientIp;
    this.path = path;
    this.#captures = captures;
    this.#plugins = plugins;
  }

  get consumerKey(): string | undefined {
    const plugins = this.#plugins;
    if (plugins === null) return undefined;
    return plugins.consumer?.id ?? plugins.credential?.id;
  }

  header(name: string): string | undefined {
    const value = this.#req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  cookie(name: string): string | undefined {
    if (this.#cookies === null) {
      this.#cookies = new Map();
      const header = this.#req.headers.cookie ?? '';
      for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        const key = part.slice(0, eq).trim();
        if (!this.#cookies.has(key)) this.#cookies.set(key, part.slice(eq + 1).trim());
      }
    }
    return this.#cookies.get(name);
  }

  queryArg(name: string): string | undefined {
    if (this.#query === null) {
      const url = this.#req.url ?? '';
      const q = url.indexOf('?');
      this.#query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    }
    const values = this.#query.getAll(name);
    if (values.length === 0) return undefined;
    return values.length === 1 ? values[0] : values.sort().join(',');
  }

  uriCapture(name: string): string | undefined {
    return this.#captures?.[name];
  }
}

/** The Set-Cookie value for a hash cookie the balancer made up. */
export function hashCookieHeader(cookie: { name: string; value: string; path: string }): string {
  return `${cookie.name}=${cookie.value}; Path=${cookie.path}; SameSite=Lax; HttpOnly`;
}

/** What a hashing upstream reads from a routed request. */
export function hashInputsFor(req: IncomingMessage, res: ProxyResponse, routed: RoutedRequest, plugins: PluginContext | null): RequestHashInputs {
  return new RequestHashInputs(req, res.clientIp ?? '', routed.match.normalizedPath, routed.match.uriCaptures, plugins);
}
