import type { LogSink } from './file-sink.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** One access-log record; written in nginx's combined format plus the request id, like Kong's. */
export interface AccessRecord {
  clientIp: string;
  method: string;
  url: string;
  httpVersion: string;
  status: number;
  bytesSent: number;
  referer: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

/**
 * Formats access-log lines. The timestamp (`[21/Nov/2026:23:59:00 +0000]`) is rebuilt at most once a second.
 */
export class AccessLog {
  readonly #sink: LogSink;
  #second = -1;
  #stamp = '';

  constructor(sink: LogSink) {
    this.#sink = sink;
  }

  #timestamp(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      const d = new Date(now);
      this.#stamp = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
    }
    return this.#stamp;
  }

  write(r: AccessRecord): void {
    this.#sink.write(
      `${r.clientIp} - - [${this.#timestamp()}] "${r.method} ${r.url} HTTP/${r.httpVersion}" ${r.status} ${r.bytesSent} "${r.referer ?? '-'}" "${r.userAgent ?? '-'}" request_id: "${r.requestId}"\n`,
    );
  }
}
