/**
 * The shapes every Admin API endpoint shares: a handler gets the request context and returns a reply; an
 * endpoint is a path pattern (`/services/{services}/routes`) with one handler per method.
 */
import type { IncomingMessage } from 'node:http';
import type { EntityName, PluginSchemaRegistry } from '../entities/index.ts';
import type { NodeContext } from './context.ts';
import type { DataSource } from './data-source.ts';
import type { EntityDao } from './entity-dao.ts';
import type { DecodedBody } from './request-body.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** What a handler answers: a JSON body (or none), a status and extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  /** A text body sent as it is (with its Content-Type in `headers`), instead of JSON. */
  text?: string;
  headers?: Record<string, string>;
}

/** The services a handler may use; one per data source, built when the mode is known. */
export interface AdminServices {
  readonly node: NodeContext;
  readonly source: DataSource;
  readonly plugins: PluginSchemaRegistry;
  dao(name: EntityName): EntityDao;
}

/** One request as a handler sees it. */
export interface RequestContext {
  readonly req: IncomingMessage;
  /** The method the handler runs for (HEAD runs the GET handler). */
  readonly method: Method;
  readonly url: URL;
  /**
   * Path parameters by name, percent-decoded. Handlers may rewrite them before calling another handler,
   * as Kong's `before` hooks do (an ACL group becomes the ACL's id).
   */
  readonly params: Record<string, string>;
  /** Path parameters exactly as they appeared in the URL (for `next` links). */
  readonly rawParams: Readonly<Record<string, string>>;
  readonly api: AdminServices;
  /** The decoded body of a write (read once, then cached; handlers may add to `args`). */
  body(): Promise<DecodedBody>;
}

/** Answers one method of one endpoint; throws an `AdminError` (or a `StoreError`) to answer with an error. */
export type Handler = (ctx: RequestContext) => Promise<Reply>;

export interface Endpoint {
  /** Kong's path pattern with `{param}` placeholders. */
  readonly path: string;
  readonly methods: Partial<Record<Method, Handler>>;
}

/** A JSON reply. */
export function reply(status: number, body?: unknown): Reply {
  return body === undefined ? { status } : { status, body };
}
