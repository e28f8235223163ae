import { randomBytes } from 'node:crypto';

/**
 * Request ids: 32 hex characters like Kong's, made of a random per-process prefix and a counter, so that
 * each request costs an increment and a string concatenation rather than a call into the CSPRNG.
 */
export class RequestIds {
  readonly #prefix = randomBytes(8).toString('hex');
  #counter = 0;

  next(): string {
    this.#counter++;
    const hex = this.#counter.toString(16);
    return this.#prefix + '0000000000000000'.slice(hex.length) + hex;
  }
}
