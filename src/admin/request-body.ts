/**
 * Reading the body of an Admin API write (POST, PUT, PATCH) with Kong's rules: JSON, url-encoded and
 * multipart bodies are accepted; any other body is a 415; JSON must parse; forms are limited to 1000
 * arguments and decoded into nested values (still strings, coerced later by the entity schema).
 */
import type { IncomingMessage } from 'node:http';
import { readBody } from '../core/http-json.ts';
import { AdminError, badRequest } from './errors.ts';
import { assertNoForbiddenKeys, findNulCharacter } from '../core/safe-keys.ts';
import { decodeFormArguments } from './form-decoder.ts';

/** Kong refuses more query or form arguments than this. */
export const MAX_ARGUMENTS = 1000;

/** Nginx's default `client_max_body_size` for Kong's Admin API. */
export const MAX_ENTITY_BODY_BYTES = 10 * 1024 * 1024;

/** A decoded request body: `form` tells whether values are strings that still need schema coercion. */
export interface DecodedBody {
  form: boolean;
  args: Record<string, unknown>;
}

const EMPTY: DecodedBody = { form: false, args: {} };

/** Kong's 400 for more than {@link MAX_ARGUMENTS} query or form arguments. */
export function tooManyArguments(): AdminError {
  return badRequest('Too many arguments');
}

/** Every Content-Type header of the request (Node keeps only the first in `req.headers`). */
function contentTypes(req: IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'content-type') out.push(req.rawHeaders[i + 1]);
  }
  return out;
}

/** The media types the entity endpoints accept; `/config` adds YAML. */
export type BodyKind = 'json' | 'form' | 'multipart' | 'yaml' | null;

/** Classifies a Content-Type by prefix, as Kong compares it. */
export function bodyKind(contentType: string): BodyKind {
  const lower = contentType.toLowerCase();
  if (lower.startsWith('application/json')) return 'json';
  if (lower.startsWith('application/x-www-form-urlencoded')) return 'form';
  if (lower.startsWith('multipart/form-data')) return 'multipart';
  if (lower.startsWith('application/yaml') || lower.startsWith('text/yaml')) return 'yaml';
  return null;
}

/**
 * Checks the Content-Type of a write before anything is read: two headers are a 400, an unknown media type
 * a 415 (YAML only where `acceptYaml`). Returns the single Content-Type, or null when there is none.
 */
export function checkContentType(req: IncomingMessage, acceptYaml = false): string | null {
  const types = contentTypes(req);
  if (types.length > 1) throw badRequest('Multiple Content-Type headers not allowed');
  if (types.length === 0) return null;
  const kind = bodyKind(types[0]);
  if (kind === null || (kind === 'yaml' && !acceptYaml)) throw unsupportedMediaType();
  return types[0];
}

/** 415 for a write whose body is of a media type the endpoint does not read. */
export function unsupportedMediaType(): AdminError {
  return new AdminError(415, { message: 'Unsupported Media Type' });
}

export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    if ((err as { status?: number }).status === 413) throw new AdminError(413, { message: 'Payload Too Large' });
    throw err;
  }
}

/** Parses a JSON body into the arguments of a write. */
export function parseJsonArguments(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('Cannot parse JSON body');
  }
  // Lua cannot tell an empty array from an empty object.
  if (Array.isArray(parsed) && parsed.length === 0) return {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('Cannot parse JSON body');
  // JSON.parse makes `__proto__` an own property (harmless by itself), but code that later copies keys with
  // assignments would reach Object.prototype: refuse such keys at the door.
  assertNoForbiddenKeys(parsed);
  return parsed as Record<string, unknown>;
}

/** Parses a url-encoded body into ordered name/value pairs, refusing more than {@link MAX_ARGUMENTS}. */
export function urlEncodedPairs(text: string): Array<[string, string]> {
  const pairs = [...new URLSearchParams(text)];
  if (pairs.length > MAX_ARGUMENTS) throw tooManyArguments();
  return pairs;
}

async function multipartPairs(body: Buffer, contentType: string): Promise<Array<[string, string]>> {
  // No body at all (often with no boundary either) is an empty form, as in Kong: the entity's own checks
  // then say what is missing, where a parse error would hide it.
  if (body.length === 0) return [];
  let form: FormData;
  try {
    form = await new Request('http://admin/', { method: 'POST', body, headers: { 'content-type': contentType } }).formData();
  } catch {
    throw badRequest('Cannot parse multipart body');
  }
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of form) {
    if (pairs.length >= MAX_ARGUMENTS) throw tooManyArguments();
    pairs.push([name, typeof value === 'string' ? value : await value.text()]);
  }
  return pairs;
}

/**
 * Reads and decodes the body of a POST, PUT or PATCH to an entity endpoint. Other methods never read
 * their body (Kong ignores it, even when it is invalid).
 */
export async function readEntityBody(req: IncomingMessage, limit = MAX_ENTITY_BODY_BYTES): Promise<DecodedBody> {
  const method = req.method ?? 'GET';
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return EMPTY;
  const contentType = checkContentType(req);
  const body = await readLimited(req, limit);
  if (contentType === null) {
    if (body.length > 0) throw unsupportedMediaType();
    return EMPTY;
  }
  let decoded: DecodedBody;
  switch (bodyKind(contentType)) {
    case 'json':
      decoded = { form: false, args: parseJsonArguments(body.toString('utf8')) };
      break;
    case 'form':
      decoded = { form: true, args: decodeFormArguments(urlEncodedPairs(body.toString('utf8'))) };
      break;
    case 'multipart':
      decoded = { form: true, args: decodeFormArguments(await multipartPairs(body, contentType)) };
      break;
    default:
      throw unsupportedMediaType();
  }
  const nul = findNulCharacter(decoded.args);
  if (nul !== null) throw new AdminError(400, { message: `'${nul}': the NUL character (\\u0000) is not allowed`, field: nul });
  return decoded;
}
