/**
 * The `kong` object a Kong JavaScript plugin receives, built over Tollgate's PDK in the same process.
 *
 * Kong's JavaScript PDK sends every call to Kong over a socket, so every call returns a promise, and names
 * may be written camelCase (`getHeader`) or as in Lua (`get_header`). Here the same calls go straight to
 * Tollgate's PDK: each returns a promise (a failing call rejects), names are accepted in both spellings at
 * every level (`kong.service.request.set_header`), and `kong.response.exit`/`error` never return: the
 * response is recorded and the handler's promise is abandoned, as with Kong's plugin server.
 */
import type { Kong } from '../../pdk/kong.ts';
import { KONG_JS_ENTERPRISE, KONG_JS_NAMESPACES, KONG_JS_SURFACE, type JsCallScope } from './kong-js-surface.ts';

/** Raised by calls Tollgate's PDK does not have, or made after the handler exited the request. */
export class PDKError extends Error {
  override get name(): string {
    return 'PDKError';
  }
}

/** `get_raw_body` → `getRawBody`; camelCase names are unchanged. */
export function camelName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** What one phase call of one plugin shares with its PDK: whether (and how) it exited the request. */
export class PhaseExit {
  #resolve!: () => void;
  /** Settles when the handler called `kong.response.exit` or `kong.response.error`. */
  readonly exited: Promise<void> = new Promise((resolve) => (this.#resolve = resolve));
  done = false;

  exit(): void {
    this.done = true;
    this.#resolve();
  }
}

/** A promise that never settles: what `exit` returns, so the handler's code after it never runs. */
const NEVER: Promise<never> = new Promise<never>(() => {});

const noop = (): void => {};
const nullish = (value: unknown): unknown => value ?? null;

const EXITS: ReadonlySet<string> = new Set(['kong.response.exit', 'kong.response.error']);

/**
 * The `kong` object for one phase call. `exit` is told when the handler answers the request; calls made
 * after that do nothing (they never settle), as Kong's plugin server drops them.
 */
export function kongJsPdk(kong: Kong, exit: PhaseExit, scope: JsCallScope = NO_SCOPE): unknown {
  const ctx = {
    shared: mapAccessor(kong.ctx.shared),
    plugin: mapAccessor(kong.ctx.plugin),
  };
  return namespace(kong as unknown as Record<string, unknown>, { kong, scope, exit, path: 'kong', surfacePath: '' }, { ctx });
}

const NO_SCOPE: JsCallScope = { pluginName: '', pluginId: null };

/** Where a namespace sits: its path as the plugin wrote it (for messages) and in camelCase (for the surface). */
interface NamespaceAt {
  readonly kong: Kong;
  readonly scope: JsCallScope;
  readonly exit: PhaseExit;
  readonly path: string;
  readonly surfacePath: string;
}

/** Kong's `kong.ctx.shared.get(k)` / `.set(k, v)` over a plain object (also readable as properties). */
function mapAccessor(store: Record<string, unknown>): Record<string, unknown> {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'get') return (key: string) => target[key];
      if (prop === 'set') return (key: string, value: unknown) => void (target[key] = value);
      return Reflect.get(target, prop);
    },
  });
}

function namespace(target: Record<string, unknown>, at: NamespaceAt, overrides: Record<string, unknown> = {}): unknown {
  const cache = new Map<string, unknown>();
  const { kong, scope, exit, path } = at;
  return new Proxy(target, {
    get(obj, prop) {
      if (typeof prop === 'symbol') return Reflect.get(obj, prop);
      // A namespace is not a promise: `await kong.request` must not look for a `then` method.
      if (prop === 'then') return undefined;
      const cached = cache.get(prop);
      if (cached !== undefined) return cached;
      const name = camelName(prop);
      const callPath = `${path}.${prop}`;
      const surfacePath = at.surfacePath === '' ? name : `${at.surfacePath}.${name}`;
      const below: NamespaceAt = { kong, scope, exit, path: callPath, surfacePath };
      const surface = KONG_JS_SURFACE.get(surfacePath);
      let result: unknown;
      if (name in overrides) {
        result = namespace(overrides[name] as Record<string, unknown>, below);
      } else if (surface !== undefined) {
        result = call(null, (...args: unknown[]) => surface(kong, scope, args), `kong.${surfacePath}`, exit);
      } else if (KONG_JS_ENTERPRISE.has(surfacePath)) {
        result = call(
          null,
          () => {
            kong.log.err(`could not find pdk method: kong.${surfacePath}`);
            return null;
          },
          `kong.${surfacePath}`,
          exit,
        );
      } else {
        const value = (obj as Record<string, unknown>)[name];
        if (typeof value === 'function') result = call(obj, value as (...args: unknown[]) => unknown, `${path}.${name}`, exit);
        else if (typeof value === 'object' && value !== null) result = namespace(value as Record<string, unknown>, below);
        else if (KONG_JS_NAMESPACES.has(surfacePath) || isEnterpriseNamespace(surfacePath)) result = namespace({}, below);
        else if (value !== undefined) result = value;
        else result = missing(callPath);
      }
      cache.set(prop, result);
      return result;
    },
  });
}

function isEnterpriseNamespace(path: string): boolean {
  for (const name of KONG_JS_ENTERPRISE) if (name.startsWith(`${path}.`)) return true;
  return false;
}

/** A PDK function as Kong's JavaScript PDK has it: always a promise, rejecting instead of throwing. */
function call(self: unknown, fn: (...args: unknown[]) => unknown, path: string, exit: PhaseExit): (...args: unknown[]) => Promise<unknown> {
  const isExit = EXITS.has(path);
  return (...args: unknown[]) => {
    if (exit.done) return NEVER;
    let promise: Promise<unknown>;
    try {
      const value = fn.apply(self, args);
      if (isExit) {
        exit.exit();
        return NEVER;
      }
      // Kong's bridge sends Lua's nil as MessagePack nil, which arrives as null, never undefined.
      promise = value instanceof Promise ? value.then(nullish) : Promise.resolve(value ?? null);
    } catch (err) {
      promise = Promise.reject(err instanceof Error ? err : new PDKError(`PDK method ${path} failed: ${String(err)}`));
    }
    // A call the plugin does not await must not become an unhandled rejection that ends the worker; one it
    // awaits still throws.
    promise.catch(noop);
    return promise;
  };
}

/** A name Tollgate's PDK lacks: callable (rejecting with its name), and a namespace of more such names. */
function missing(path: string): (...args: unknown[]) => Promise<never> {
  const fn = (): Promise<never> => {
    const promise = Promise.reject(new PDKError(`PDK method ${path} is not available in Tollgate`));
    promise.catch(noop);
    return promise;
  };
  return new Proxy(fn, {
    get(target, prop) {
      if (typeof prop === 'symbol') return Reflect.get(target, prop);
      if (prop === 'then') return undefined;
      return missing(`${path}.${prop}`);
    },
  });
}
