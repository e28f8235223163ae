import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendEmpty, sendJson } from '../core/http-json.ts';
import type { FlatConfig } from '../declarative/index.ts';
import type { NodeContext } from './context.ts';

function truthy(v: unknown): boolean {
  return typeof v === 'string' ? /^(true|1|on|yes)$/i.test(v) : v === true || v === 1;
}

/** Parses a form body (urlencoded or multipart) with the platform's own parser. */
async function formFields(body: Buffer, contentType: string): Promise<Map<string, string>> {
  const form = await new Request('http://admin/config', { method: 'POST', body, headers: { 'content-type': contentType } }).formData();
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
export async function postConfig(node: NodeContext, req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
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
      sendJson(res, 400, { message: 'Cannot parse JSON body' });
      return;
    }
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
    sendJson(res, 400, { message: 'expected a declarative configuration' });
    return;
  }
  const outcome = await node.loadConfig({ input, flattenErrors: truthy(flatten), checkHash: checkHash === '1' });
  switch (outcome.status) {
    case 'loaded':
      sendJson(res, 201, entitiesById(outcome.config));
      return;
    case 'unchanged':
      sendEmpty(res, 304);
      return;
    case 'invalid':
      sendJson(res, 400, outcome.error);
      return;
    case 'busy':
      sendJson(res, 429, { message: 'Currently loading previous configuration' }, { 'Retry-After': '1' });
      return;
    case 'failed':
      sendJson(res, 500, { message: `An unexpected error occurred: ${outcome.message}` });
      return;
  }
}
