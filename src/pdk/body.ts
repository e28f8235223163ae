/**
 * Request and response bodies for plugins: read a request body once, within a size limit, and parse or
 * serialize bodies as JSON, urlencoded forms and multipart forms, the three types Kong's `get_body` knows.
 * Parsed objects have no prototype, so keys such as `__proto__` are plain data.
 */
import type { IncomingMessage } from 'node:http';
import type { BodyMimeType, ParsedBody } from './kong.ts';

/** A body larger than the limit (Kong's message for a body that does not fit its client body buffer). */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(limit: number) {
    super(`request body did not fit into client body buffer (${limit} bytes), consider raising 'client_body_buffer_size'`);
  }
}

/**
 * A body larger than the limit a plugin set with `kong.request.limitBodySize`: answered with the status and
 * message that plugin chose, not as a plugin failure.
 */
export class BodyLimitError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'BodyLimitError';
    this.status = status;
  }
}

/** Reads the whole body of `req`; rejects past `limit` bytes (the rest is left unread). */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (req.readableEnded) {
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onAborted = (): void => onError(new Error('the client closed the connection while sending the body'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('aborted', onAborted);
  });
}

/** The MIME type of a Content-Type header (lower case, without parameters). */
export function mimeTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function decodeComponent(text: string): string {
  const plus = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** Adds a value under `name`, turning repeated names into arrays (Kong's argument tables). */
function addArg(args: Record<string, unknown>, name: string, value: string | true): void {
  const seen = args[name];
  if (seen === undefined) args[name] = value;
  else if (Array.isArray(seen)) seen.push(value);
  else args[name] = [seen, value];
}

function parseForm(text: string, maxArgs: number): Record<string, unknown> {
  const args: Record<string, unknown> = Object.create(null);
  let count = 0;
  for (const part of text.split('&')) {
    if (part === '') continue;
    if (++count > maxArgs) break;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    if (name === '') continue;
    addArg(args, name, eq === -1 ? true : decodeComponent(part.slice(eq + 1)));
  }
  return args;
}

async function parseMultipart(body: Buffer, contentType: string, maxArgs: number): Promise<Record<string, unknown>> {
  const form = await new Request('http://body/', { method: 'POST', body, headers: { 'content-type': contentType } }).formData();
  const args: Record<string, unknown> = Object.create(null);
  let count = 0;
  for (const [name, value] of form) {
    if (++count > maxArgs) break;
    addArg(args, name, typeof value === 'string' ? value : await value.text());
  }
  return args;
}

/**
 * Parses a body by MIME type (the given one, else the Content-Type's). Throws Kong's messages: `missing
 * content type`, `unsupported content type '...'`, `invalid json body`.
 */
export async function parseBody(body: Buffer, contentType: string | undefined, mimetype: BodyMimeType | undefined, maxArgs = 100): Promise<ParsedBody> {
  const mime = mimetype ?? mimeTypeOf(contentType);
  if (mime === '') throw new Error('missing content type');
  if (mime === 'application/json' || mime.endsWith('+json')) return parseJsonBody(body);
  if (mime === 'application/x-www-form-urlencoded') return parseForm(body.toString('utf8'), maxArgs);
  if (mime === 'multipart/form-data') {
    if (contentType === undefined || !contentType.includes('boundary=')) throw new Error('missing multipart boundary');
    try {
      return await parseMultipart(body, contentType, maxArgs);
    } catch {
      throw new Error('invalid multipart body');
    }
  }
  throw new Error(`unsupported content type '${mime}'`);
}

/** A JSON body as an object or array (`invalid json body` otherwise). */
export function parseJsonBody(body: Buffer): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('invalid json body');
  }
  if (value === null || typeof value !== 'object') throw new Error('invalid json body');
  return value as ParsedBody;
}

function encodeFormValue(value: unknown): string {
  return encodeURIComponent(typeof value === 'string' ? value : String(value));
}

/** Serializes arguments as a body of `mime` (Kong's `set_body`): JSON, urlencoded or multipart. */
export function serializeBody(args: ParsedBody, mime: string, boundary: string): Buffer {
  if (mime === 'application/json' || mime.endsWith('+json')) return Buffer.from(JSON.stringify(args));
  if (Array.isArray(args)) throw new Error(`a ${mime} body must be a table of arguments`);
  const entries: [string, unknown][] = [];
  for (const name of Object.keys(args).sort()) {
    const value = args[name];
    if (Array.isArray(value)) for (const v of value) entries.push([name, v]);
    else entries.push([name, value]);
  }
  if (mime === 'application/x-www-form-urlencoded') {
    return Buffer.from(entries.map(([n, v]) => (v === true ? encodeURIComponent(n) : `${encodeURIComponent(n)}=${encodeFormValue(v)}`)).join('&'));
  }
  if (mime === 'multipart/form-data') {
    let out = '';
    for (const [n, v] of entries) out += `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${String(v)}\r\n`;
    return Buffer.from(`${out}--${boundary}--\r\n`);
  }
  throw new Error(`unsupported content type '${mime}'`);
}

/** Bytes of a string or byte body. */
export function toBuffer(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
