/**
 * Counts a streamed request body on its way upstream against the bound a plugin set with
 * `kong.request.limitBodySize` (request-size-limiting on a chunked body), without buffering it. Chunks pass
 * through as they come; the chunk that crosses the bound is held back and the forwarder is told, which cuts
 * the upstream call (so the upstream never sees a complete body) and answers the client with the plugin's
 * status and message.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** What the guard tells when the bound is passed (the request's ForwardHandler). */
export interface BodyLimitListener {
  bodyLimitExceeded(): void;
}

export class BodySizeGuard extends Transform {
  readonly maxBytes: number;
  /** Bytes seen so far. */
  received = 0;
  exceeded = false;
  /** Set once the forwarder exists (it is created with this guard as its body). */
  listener: BodyLimitListener | null = null;

  constructor(maxBytes: number) {
    super();
    this.maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.exceeded) return;
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.exceeded = true;
      // The callback is never called: nothing more passes and the body never ends, so the upstream cannot
      // take a truncated body for a whole one; the connection is closed after the answer.
      this.listener?.bodyLimitExceeded();
      return;
    }
    callback(null, chunk);
  }
}
