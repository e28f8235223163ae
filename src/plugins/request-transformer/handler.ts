/**
 * request-transformer: edits the request before it goes upstream, in Kong's order — path (`replace.uri`),
 * method, headers, body, query string — and within each part remove, rename, replace, add, append. Values are
 * templates over the client's request (`template.ts`), compiled in `prepare`.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { own, put, truthy, type Fields } from '../shared/lua-table.ts';
import type { RequestTransformerConfig } from './schema.ts';
import { splitPair } from '../shared/transformer-config.ts';
import { compileTemplate, Template, TemplateRenderError, TemplateScope, type TemplateSource } from './template.ts';
import { MultipartBody } from './multipart.ts';

/** One `name:value` entry; `value` is null for an entry without a value (a no-op where a value is needed). */
interface Rule {
  readonly name: string;
  readonly value: Template | null;
}

/** The rules of one part of the request (headers, query string or body), in Kong's order. */
interface Rules {
  readonly remove: readonly string[];
  readonly rename: readonly Rule[];
  readonly replace: readonly Rule[];
  readonly add: readonly Rule[];
  readonly append: readonly Rule[];
  readonly any: boolean;
}

export interface RequestTransformerConf {
  readonly method: string | null;
  readonly uri: Template | null;
  readonly headers: Rules;
  readonly querystring: Rules;
  readonly body: Rules;
}

type Part = 'headers' | 'querystring' | 'body';

function rules(config: RequestTransformerConfig, part: Part): Rules {
  const toRules = (entries: readonly string[]): Rule[] =>
    entries.map((entry) => {
      const [name, value] = splitPair(entry) ?? [entry, ''];
      return { name, value: value === '' ? null : compileTemplate(value) };
    });
  const remove = config.remove[part].map((entry) => splitPair(entry)?.[0] ?? entry);
  const r: Omit<Rules, 'any'> = {
    remove,
    rename: toRules(config.rename[part]),
    replace: toRules(config.replace[part]),
    add: toRules(config.add[part]),
    append: toRules(config.append[part]),
  };
  const any = r.remove.length + r.rename.length + r.replace.length + r.add.length + r.append.length > 0;
  return { ...r, any };
}

function prepare(config: RequestTransformerConfig): RequestTransformerConf {
  const uri = config.replace.uri;
  return {
    method: config.http_method ?? null,
    uri: uri === null || uri === undefined || uri === '' ? null : compileTemplate(uri),
    headers: rules(config, 'headers'),
    querystring: rules(config, 'querystring'),
    body: rules(config, 'body'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

type Args = Fields;

/** Kong's append: a string becomes a list of two, a list grows, anything else is replaced by a list of one. */
function appendValue(current: unknown, value: string): unknown[] {
  if (typeof current === 'string') return [current, value];
  if (Array.isArray(current)) {
    current.push(value);
    return current;
  }
  return [value];
}

function rename(args: Args, from: string, to: string): boolean {
  if (from === to) return false;
  const value = own(args, from);
  if (!truthy(value)) return false;
  delete args[from];
  put(args, to, value);
  return true;
}

function render(template: Template, scope: TemplateScope): string {
  try {
    return template.render(scope);
  } catch (err) {
    if (err instanceof TemplateRenderError) {
      throw new Error(`[request-transformer] failed to render the template ${template.source}, error: ${err.message}`);
    }
    throw err;
  }
}

function templateSource(kong: Kong): TemplateSource {
  return {
    headers: () => kong.request.getHeaders(),
    query_params: () => kong.request.getQuery(),
    uri_captures: () => {
      const captures = kong.request.getUriCaptures();
      const all: Args = Object.create(null);
      captures.unnamed.forEach((value, i) => (all[i] = value));
      for (const name of Object.keys(captures.named)) put(all, name, captures.named[name]);
      return all;
    },
    shared: () => kong.ctx.shared,
  };
}

/** A form body's arguments (Kong's `ngx.decode_args`): repeated names give lists, a bare name `true`. */
function decodeForm(text: string): Args {
  const args: Args = Object.create(null);
  for (const piece of text.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decode(eq === -1 ? piece : piece.slice(0, eq));
    if (name === '') continue;
    const value: string | true = eq === -1 ? true : decode(piece.slice(eq + 1));
    const seen = own(args, name);
    put(args, name, seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]);
  }
  return args;
}

function decode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function encodeForm(args: Args): string {
  const out: string[] = [];
  for (const name of Object.keys(args)) {
    const value = args[name];
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === true) out.push(encodeURIComponent(name));
      else if (v !== false && v !== undefined && v !== null) out.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(v))}`);
    }
  }
  return out.join('&');
}

type BodyKind = 'json' | 'multipart' | 'form' | null;

function bodyKind(contentType: string | undefined): BodyKind {
  if (contentType === undefined) return null;
  const lower = contentType.toLowerCase();
  if (lower.includes('application/json')) return 'json';
  if (lower.includes('multipart/form-data')) return 'multipart';
  if (lower.includes('application/x-www-form-urlencoded')) return 'form';
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// The transformations, in Kong's order

function transformUri(kong: Kong, conf: RequestTransformerConf, scope: TemplateScope): void {
  if (conf.uri === null) return;
  // A rendered path may carry characters a path cannot hold as they are (a capture with a space or `?`).
  const path = render(conf.uri, scope).replace(/[\s?#]/g, (c) => encodeURIComponent(c));
  kong.service.request.setPath(path);
}

/** Sets the method; for GET, HEAD and TRACE a form body's arguments join the query (returned). */
async function transformMethod(kong: Kong, conf: RequestTransformerConf): Promise<Args | null> {
  const method = conf.method;
  if (method === null) return null;
  kong.service.request.setMethod(method.toUpperCase());
  if (method !== 'GET' && method !== 'HEAD' && method !== 'TRACE') return null;
  if (bodyKind(kong.request.getHeader('content-type')) !== 'form') return null;
  const params = decodeForm(await kong.request.getRawBody());
  const names = Object.keys(params);
  if (names.length === 0) return null;
  const query = copyQuery(kong);
  for (const name of names) {
    const value = params[name];
    const seen = own(query, name);
    if (seen === undefined) put(query, name, value);
    else if (Array.isArray(seen)) seen.push(value);
    else put(query, name, [seen, value]);
  }
  kong.service.request.setQuery(query as never);
  return query;
}

function copyQuery(kong: Kong): Args {
  const query: Args = Object.create(null);
  const original = kong.request.getQuery();
  for (const name of Object.keys(original)) {
    const value = original[name];
    put(query, name, Array.isArray(value) ? [...value] : value);
  }
  return query;
}

interface HeaderState {
  /** Current headers by lower-case name, with the name as it will be sent. */
  readonly current: Map<string, { name: string; value: string | string[] }>;
  /** Lower-case names whose upstream headers must be rewritten. */
  readonly touched: Map<string, string>;
  host: string | null;
}

function transformHeaders(kong: Kong, rulesOf: Rules, scope: TemplateScope): void {
  if (!rulesOf.any) return;
  const state: HeaderState = { current: new Map(), touched: new Map(), host: null };
  const original = kong.request.getHeaders();
  for (const name of Object.keys(original)) if (name !== 'host') state.current.set(name, { name, value: original[name] });
  const { current, touched } = state;
  const touch = (name: string) => touched.set(name.toLowerCase(), name);

  for (const name of rulesOf.remove) {
    const lower = name.toLowerCase();
    if (current.delete(lower)) touch(lower);
  }
  for (const rule of rulesOf.rename) {
    if (rule.value === null) continue;
    const to = render(rule.value, scope);
    const from = current.get(rule.name.toLowerCase());
    if (from === undefined || to === rule.name) continue;
    current.delete(rule.name.toLowerCase());
    touch(rule.name);
    current.set(to.toLowerCase(), { name: to, value: from.value });
    touch(to);
  }
  for (const rule of rulesOf.replace) {
    if (rule.value === null) continue;
    const lower = rule.name.toLowerCase();
    if (lower === 'host') state.host = render(rule.value, scope);
    else if (current.has(lower)) {
      current.set(lower, { name: rule.name, value: render(rule.value, scope) });
      touch(rule.name);
    }
  }
  for (const rule of rulesOf.add) {
    if (rule.value === null) continue;
    const lower = rule.name.toLowerCase();
    if (lower === 'host' || current.has(lower)) continue;
    current.set(lower, { name: rule.name, value: render(rule.value, scope) });
    touch(rule.name);
  }
  for (const rule of rulesOf.append) {
    if (rule.value === null) continue;
    const lower = rule.name.toLowerCase();
    const value = render(rule.value, scope);
    if (lower === 'host') {
      state.host = value;
      continue;
    }
    const seen = current.get(lower);
    const values = seen === undefined ? [value] : typeof seen.value === 'string' ? [seen.value, value] : [...seen.value, value];
    current.set(lower, { name: rule.name, value: values });
    touch(rule.name);
  }

  const upstream = kong.service.request;
  for (const [lower, name] of touched) {
    upstream.clearHeader(name);
    const entry = current.get(lower);
    if (entry === undefined) continue;
    if (typeof entry.value === 'string') upstream.setHeader(entry.name, entry.value);
    else for (const v of entry.value) upstream.addHeader(entry.name, v);
  }
  if (state.host !== null) upstream.setHeader('Host', state.host);
}

/** Applies the body rules to arguments (JSON object or form); returns whether anything was done. */
function transformArgs(args: Args, r: Rules, scope: TemplateScope, hasBody: boolean, isForm: boolean): boolean {
  let changed = false;
  if (hasBody) {
    for (const name of r.remove) {
      delete args[name];
      changed = true;
    }
    for (const rule of r.rename) if (rule.value !== null && rename(args, rule.name, render(rule.value, scope))) changed = true;
    for (const rule of r.replace) {
      if (rule.value === null || !truthy(own(args, rule.name))) continue;
      put(args, rule.name, render(rule.value, scope));
      changed = true;
    }
  }
  for (const rule of r.add) {
    if (rule.value === null) continue;
    const seen = own(args, rule.name);
    // Kong adds a JSON field that is missing or false, a form field only when missing.
    if (isForm ? seen !== undefined : truthy(seen)) continue;
    put(args, rule.name, render(rule.value, scope));
    changed = true;
  }
  for (const rule of r.append) {
    if (rule.value === null) continue;
    put(args, rule.name, appendValue(own(args, rule.name), render(rule.value, scope)));
    changed = true;
  }
  return changed;
}

function transformMultipart(body: Buffer, contentType: string, r: Rules, scope: TemplateScope): Buffer | null {
  const parts = MultipartBody.parse(body, contentType);
  if (parts === null) return null;
  const hasBody = body.length > 0;
  let changed = false;
  if (hasBody) {
    // Kong's multipart order: rename before remove.
    for (const rule of r.rename) {
      if (rule.value === null) continue;
      const to = render(rule.value, scope);
      const value = parts.get(rule.name);
      if (value === undefined || to === rule.name) continue;
      parts.setSimple(to, value);
      parts.delete(rule.name);
      changed = true;
    }
    for (const name of r.remove) {
      parts.delete(name);
      changed = true;
    }
    for (const rule of r.replace) {
      if (rule.value === null || !parts.has(rule.name)) continue;
      parts.setSimple(rule.name, render(rule.value, scope));
      changed = true;
    }
  }
  for (const rule of r.add) {
    if (rule.value === null || parts.has(rule.name)) continue;
    parts.setSimple(rule.name, render(rule.value, scope));
    changed = true;
  }
  return changed ? parts.toBuffer() : null;
}

async function transformBody(kong: Kong, r: Rules, scope: TemplateScope): Promise<void> {
  if (!r.any) return;
  const contentType = kong.request.getHeader('content-type');
  const kind = bodyKind(contentType);
  if (kind === null) return;
  let body: Buffer;
  try {
    body = await kong.request.getRawBodyBytes();
  } catch (err) {
    // Kong goes on with no body; Tollgate leaves a body it could not read alone rather than replace it.
    kong.log.warn('[request-transformer] cannot read the request body: ', err);
    return;
  }
  let out: Buffer | null = null;
  if (kind === 'multipart') out = transformMultipart(body, contentType!, r, scope);
  else if (kind === 'form') {
    const args = decodeForm(body.toString('utf8'));
    if (transformArgs(args, r, scope, body.length > 0, true)) out = Buffer.from(encodeForm(args));
  } else {
    let args: Args = Object.create(null);
    if (body.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return;
      }
      // Only an object has named fields to edit.
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
      args = parsed as Args;
    }
    if (transformArgs(args, r, scope, body.length > 0, false)) out = Buffer.from(JSON.stringify(args));
  }
  if (out !== null) kong.service.request.setRawBody(out);
}

function transformQuery(kong: Kong, r: Rules, scope: TemplateScope, merged: Args | null): void {
  if (!r.any) return;
  const query = merged ?? copyQuery(kong);
  for (const name of r.remove) delete query[name];
  for (const rule of r.rename) if (rule.value !== null) rename(query, rule.name, render(rule.value, scope));
  for (const rule of r.replace) {
    if (rule.value !== null && truthy(own(query, rule.name))) put(query, rule.name, render(rule.value, scope));
  }
  for (const rule of r.add) {
    if (rule.value !== null && !truthy(own(query, rule.name))) put(query, rule.name, render(rule.value, scope));
  }
  for (const rule of r.append) {
    if (rule.value !== null) put(query, rule.name, appendValue(own(query, rule.name), render(rule.value, scope)));
  }
  kong.service.request.setQuery(query as never);
}

async function transform(kong: Kong, conf: RequestTransformerConf): Promise<void> {
  const scope = new TemplateScope(templateSource(kong));
  transformUri(kong, conf, scope);
  const merged = await transformMethod(kong, conf);
  transformHeaders(kong, conf.headers, scope);
  await transformBody(kong, conf.body, scope);
  transformQuery(kong, conf.querystring, scope, merged);
}

function access(kong: Kong, conf: RequestTransformerConf): void | Promise<void> {
  // Only bodies need waiting for: without body rules or a method change the phase stays synchronous.
  if (conf.body.any || conf.method !== null) return transform(kong, conf);
  const scope = new TemplateScope(templateSource(kong));
  transformUri(kong, conf, scope);
  transformHeaders(kong, conf.headers, scope);
  transformQuery(kong, conf.querystring, scope, null);
}

export const requestTransformerHandler: PluginHandler<RequestTransformerConf, RequestTransformerConfig> = {
  name: 'request-transformer',
  priority: 801,
  version: '3.10.0',
  prepare,
  access,
};
