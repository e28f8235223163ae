import type { LogSink } from './file-sink.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** nginx's `$time_local` in UTC: `21/Nov/2026:23:59:00 +0000`. */
export function nginxLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
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

/** `kong`: nginx's combined line plus `request_id` (Kong's); `json`: one JSON object a line. */
export type AccessLogFormat = 'kong' | 'json';

/**
 * Formats access-log lines. The timestamp (`[21/Nov/2026:23:59:00 +0000]`) is rebuilt at most once a second.
 * Every line carries the request id, the value of the `X-Tollgate-Request-Id` header the client and the
 * upstream see, so one request can be followed from the access log to the error log and the upstream.
 */
export class AccessLog {
  readonly #sink: LogSink;
  readonly write: (r: AccessRecord) => void;
  #second = -1;
  #stamp = '';

  constructor(sink: LogSink, format: AccessLogFormat = 'kong') {
    this.#sink = sink;
    this.write = format === 'json' ? this.#writeJson : this.#writeKong;
  }

  #timestamp(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#stamp = nginxLocalTime(now);
    }
    return this.#stamp;
  }

  readonly #writeJson = (r: AccessRecord): void => {
    this.#sink.write(
      `${JSON.stringify({
        time: new Date().toISOString(),
        client_ip: r.clientIp,
        method: r.method,
        uri: r.url,
        http_version: r.httpVersion,
        status: r.status,
        bytes_sent: r.bytesSent,
        referer: r.referer ?? null,
        user_agent: r.userAgent ?? null,
        request_id: r.requestId,
      })}\n`,
    );
  };

  readonly #writeKong = (r: AccessRecord): void => {
    this.#sink.write(
      `${r.clientIp} - - [${this.#timestamp()}] "${r.method} ${r.url} HTTP/${r.httpVersion}" ${r.status} ${r.bytesSent} "${r.referer ?? '-'}" "${r.userAgent ?? '-'}" request_id: "${r.requestId}"\n`,
    );
  };
}
