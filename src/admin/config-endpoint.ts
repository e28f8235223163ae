import type { IncomingMessage } from 'node:http';
import type { FlatConfig } from '../declarative/index.ts';
import type { NodeContext } from './context.ts';
import type { Reply } from './endpoint-types.ts';
import { assertNoForbiddenKeys } from '../core/safe-keys.ts';
import { badRequest } from './errors.ts';

function truthy(v: unknown): boolean {
  return typeof v === 'string' ? /^(true|1|on|yes)$/i.test(v) : v === true || v === 1;
}

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
function entitiesById(config: FlatConfig): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, rows] of Object.entries(config) as [string, Array<{ id: string }>][]) {
    if (rows.length === 0) continue;
    const byId: Record<string, unknown> = {};
    for (const row of rows) byId[row.id] = row;
    out[name] = byId;
  }
  return out;
}

/**
 * POST /config: the body is a declarative document (JSON with `_format_version`), or a `config` field
 * holding its text, or the raw text itself (YAML or JSON). Flags: `flatten_errors`, `check_hash`.
 */
export async function postConfig(node: NodeContext, req: IncomingMessage, url: URL, body: Buffer): Promise<Reply> {
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
  let input: string | Record<string, unknown> | null = null;
  let flatten = url.searchParams.get('flatten_errors');
  let checkHash = url.searchParams.get('check_hash');
  const text = body.toString('utf8');
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return { status: 400, body: { message: 'Cannot parse JSON body' } };
    }
    assertNoForbiddenKeys(parsed);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const obj = parsed as Record<string, unknown>;
      flatten ??= obj.flatten_errors === undefined ? null : String(obj.flatten_errors);
      checkHash ??= obj.check_hash === undefined ? null : String(obj.check_hash);
      if ('_format_version' in obj) input = obj;
      else if (typeof obj.config === 'string') input = obj.config;
      else if (obj.config !== null && typeof obj.config === 'object') input = obj.config as Record<string, unknown>;
    }
  } else if (contentType.startsWith('application/x-www-form-urlencoded') || contentType.startsWith('multipart/form-data')) {
    const fields = await formFields(body, contentType);
    flatten ??= fields.get('flatten_errors') ?? null;
    checkHash ??= fields.get('check_hash') ?? null;
    input = fields.get('config') ?? null;
  } else if (text.trim() !== '') {
    input = text;
  }
  if (input === null || (typeof input === 'string' && input.trim() === '')) {
    return { status: 400, body: { message: 'expected a declarative configuration' } };
  }
  const outcome = await node.loadConfig({ input, flattenErrors: truthy(flatten), checkHash: checkHash === '1' });
  switch (outcome.status) {
    case 'loaded':
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
