import type { IncomingMessage } from 'node:http';
import type { FlatConfig } from '../declarative/index.ts';
import type { ConfigLoadOutcome, NodeContext } from './context.ts';
import type { Reply } from './endpoint-types.ts';
import { assertNoForbiddenKeys } from '../core/safe-keys.ts';
import { badRequest } from './errors.ts';

/** Parses a form body (urlencoded or multipart) with the platform's own parser. */
async function formFields(body: Buffer, contentType: string): Promise<Map<string, string>> {
  let form: FormData;
  try {
    form = await new Request('http://admin/config', { method: 'POST', body, headers: { 'content-type': contentType } }).formData();
  } catch {
    throw badRequest(contentType.startsWith('multipart/') ? 'Cannot parse multipart body' : 'Cannot parse form body');
  }
  const out = new Map<string, string>();
  for (const [k, v] of form) out.set(k, typeof v === 'string' ? v : await v.text());
  return out;
}

/** Kong's 201 body: every entity by id, per collection, with empty collections left out. */
export function entitiesById(config: FlatConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, rows] of Object.entries(config) as [string, Array<{ id: string }>][]) {
    if (rows.length === 0) continue;
    const byId: Record<string, unknown> = {};
    for (const row of rows) byId[row.id] = row;
    out[name] = byId;
  }
  return out;
}

/** A JSON `/config` body decoded: the document (or its text) and the flags it carries. */
export type DecodedJsonConfigBody =
  | { ok: true; input: string | Record<string, unknown> | null; flatten: string | null; checkHash: string | null }
  | { ok: false; message: string };

/**
 * Decodes a JSON `/config` body: the document itself (with `_format_version`), or `{"config": ...}` holding
 * it as text or as an object; `flatten_errors` and `check_hash` in the body apply unless the query sets them.
 * Pure, so that a large body can be decoded off the event loop (see runtime/config-parse-thread.ts).
 */
export function decodeJsonConfigBody(text: string, flatten: string | null, checkHash: string | null): DecodedJsonConfigBody {
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return { ok: false, message: 'Cannot parse JSON body' };
  }
  assertNoForbiddenKeys(parsed);
  let input: string | Record<string, unknown> | null = null;
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const obj = parsed as Record<string, unknown>;
    flatten ??= obj.flatten_errors === undefined ? null : String(obj.flatten_errors);
    checkHash ??= obj.check_hash === undefined ? null : String(obj.check_hash);
    if ('_format_version' in obj) input = obj;
    else if (typeof obj.config === 'string') input = obj.config;
    else if (obj.config !== null && typeof obj.config === 'object') input = obj.config as Record<string, unknown>;
  }
  return { ok: true, input, flatten, checkHash };
}

/** From this size on, a JSON body is decoded and validated off the supervisor's event loop. */
export const OFF_LOOP_BODY_BYTES = 1024 * 1024;

/**
 * POST /config: the body is a declarative document (JSON with `_format_version`), or a `config` field
 * holding its text, or the raw text itself (YAML or JSON). Flags: `flatten_errors`, `check_hash`. A large
 * body is decoded and validated where the node validates large documents (off its event loop).
 */
export async function postConfig(node: NodeContext, req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  let input: string | Record<string, unknown> | null = null;
  let flatten = url.searchParams.get('flatten_errors');
  let checkHash = url.searchParams.get('check_hash');
  const text = body.toString('utf8');
  if (contentType.startsWith('application/json')) {
    if (body.length >= OFF_LOOP_BODY_BYTES) {
      return outcomeReply(await node.loadConfig({ input: text, jsonBody: { flatten, checkHash }, flattenErrors: false, checkHash: false }));
    }
    const decoded = decodeJsonConfigBody(text, flatten, checkHash);
    if (!decoded.ok) return { status: 400, body: { message: decoded.message } };
    ({ input, flatten, checkHash } = decoded);
  } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType.startsWith('multipart/form-data')) {
    const fields = await formFields(body, contentType);
    flatten ??= fields.get('flatten_errors') ?? null;
    checkHash ??= fields.get('check_hash') ?? null;
    input = fields.get('config') ?? null;
  } else if (text.trim() !== '') {
    input = text;
  }
  if (input === null || (typeof input === 'string' && input.trim() === '')) {
    return { status: 400, body: { message: NO_CONFIGURATION } };
  }
  return outcomeReply(await node.loadConfig({ input, flattenErrors: truthy(flatten), checkHash: checkHash === '1' }));
}

export const NO_CONFIGURATION = 'expected a declarative configuration';

/** Whether a `flatten_errors` or `check_hash` value is set (`true`, `1`, `on`, `yes`). */
export function truthy(v: unknown): boolean {
  return typeof v === 'string' ? /^(true|1|on|yes)$/i.test(v) : v === true || v === 1;
}

function outcomeReply(outcome: ConfigLoadOutcome): Reply {
  switch (outcome.status) {
    case 'loaded':
      // A body serialized where the document was validated is sent as it is.
      if (outcome.body !== undefined) return { status: 201, text: outcome.body, headers: { 'Content-Type': 'application/json; charset=utf-8' } };
      return { status: 201, body: entitiesById(outcome.config) };
    case 'unchanged':
      return { status: 304 };
    case 'invalid':
      return { status: 400, body: outcome.error };
    case 'busy':
      return { status: 429, body: { message: 'Currently loading previous configuration' }, headers: { 'Retry-After': '1' } };
    case 'failed':
      return { status: 500, body: { message: `An unexpected error occurred: ${outcome.message}` } };
    case 'refused':
      return { status: 400, body: { message: outcome.message } };
  }
}
