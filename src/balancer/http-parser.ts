/**
 * Node's own HTTP/1.x parser (llhttp, compiled into Node), the one `node:http` uses for its client and
 * server. It is reached through the `_http_common` module, which Node keeps public for compatibility but
 * does not document, so its shape is declared here and checked once at load: if a Node release changes it,
 * Tollgate fails at start instead of misparsing responses.
 */
import { createRequire } from 'node:module';

/** Called when the headers of a message are complete; return 1 to tell the parser the message has no body. */
export type OnHeadersComplete = (
  this: NodeHttpParser,
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: number,
  statusMessage: string,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number | void;

export interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /** Parses a chunk; returns the bytes consumed or the parse error (with an `HPE_*` code). */
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  /** Signals EOF: completes a close-delimited message, or returns an error for a truncated one. */
  finish(): number | (Error & { code?: string }) | undefined;
  free(): void;
  close(): void;
  /** Makes the parser read straight from a stream handle in C++ (no JS 'data' events); `kOnExecute` then reports each read. */
  consume(handle: object): void;
  unconsume(): void;
  /** The chunk being parsed when the parser reads from a handle itself (what follows a 101 lies in it). */
  getCurrentBuffer(): Buffer;
  [index: number]: unknown;
}

interface NodeHttpParserClass {
  new (): NodeHttpParser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kLenientNone: number;
}

const require = createRequire(import.meta.url);
const common = require('_http_common') as { HTTPParser?: NodeHttpParserClass };
const HTTPParser = common.HTTPParser;
if (
  typeof HTTPParser !== 'function' ||
  typeof HTTPParser.RESPONSE !== 'number' ||
  typeof HTTPParser.kOnHeadersComplete !== 'number' ||
  typeof HTTPParser.prototype.execute !== 'function'
) {
  throw new Error(`this Node.js (${process.version}) does not expose the HTTP parser Tollgate uses; run Tollgate on Node.js 24`);
}

export const HttpParser: NodeHttpParserClass = HTTPParser;
