/**
 * The worker's half of `kong.db`: each call goes to the supervisor, which holds the node's store, and comes
 * back as a `db-reply` with the same id. A call not answered within the timeout rejects (the supervisor is
 * busy or gone); the plugin then fails the request, as a database error does in Kong.
 */
import { RequestPluginDb, type PluginDb, type PluginDbRequest } from '../pdk/index.ts';
import type { WorkerDbReply, WorkerMessage } from './messages.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class PluginDbClient {
  readonly db: PluginDb;
  readonly #pending = new Map<number, Pending>();
  readonly #send: (msg: WorkerMessage) => void;
  readonly #timeoutMs: number;
  #next = 1;

  constructor(send: (msg: WorkerMessage) => void, timeoutMs: number) {
    this.#send = send;
    this.#timeoutMs = timeoutMs;
    this.db = new RequestPluginDb((request) => this.#call(request));
  }

  #call(request: PluginDbRequest): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`database request (${request.op} ${request.entity}) not answered within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ type: 'db-request', id, request });
    });
  }

  /** Settles the call a reply answers (replies to calls that timed out are dropped). */
  onReply(reply: WorkerDbReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) pending.resolve(reply.value ?? null);
    else pending.reject(new Error(reply.error ?? 'database request failed'));
  }
}
