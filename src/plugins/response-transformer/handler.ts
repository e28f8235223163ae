/**
 * response-transformer: edits the response headers (header_filter) and JSON body (body_filter) in Kong's
 * order — remove, rename, replace, add, append. The body is edited whole, so a route using body rules holds a
 * JSON response until its last chunk; other content types stream through untouched.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import { own, put, truthy, type Fields } from '../shared/lua-table.ts';
import { splitPair } from '../shared/transformer-config.ts';
import type { ResponseTransformerConfig } from './schema.ts';

type JsonType = 'boolean' | 'number' | 'string';

interface Pair {
  readonly name: string;
  /** null for an entry without a value (a no-op where a value is needed). */
  readonly value: string | null;
}

/** A JSON value with its type (`json_types` at the same position, else string). */
interface JsonPair {
  readonly name: string;
  /** undefined: the value does not convert (a number that is not one) and the rule does nothing. */
  readonly value: string | number | boolean | undefined;
}

export interface ResponseTransformerConf {
  readonly headers: {
    readonly remove: readonly string[];
    readonly rename: readonly Pair[];
    readonly replace: readonly Pair[];
    readonly add: readonly Pair[];
    readonly append: readonly Pair[];
  };
  readonly json: {
    readonly remove: readonly string[];
    readonly rename: readonly Pair[];
    readonly replace: readonly JsonPair[];
    readonly add: readonly JsonPair[];
    readonly append: readonly JsonPair[];
  };
  /** Whether any JSON rule is configured (the body is transformed). */
  readonly transformsBody: boolean;
}

function pair(entry: string): Pair {
  const split = splitPair(entry);
  if (split === null) return { name: entry, value: null };
  return { name: split[0], value: split[1] === '' ? null : split[1] };
}

function jsonValue(value: string, type: JsonType | undefined): string | number | boolean | undefined {
  if (type === 'number') {
    const n = value.trim() === '' ? NaN : Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  if (type === 'boolean') return value === 'true';
  return value;
}

function jsonPairs(entries: readonly string[], types: readonly string[]): JsonPair[] {
  const out: JsonPair[] = [];
  entries.forEach((entry, i) => {
    const p = pair(entry);
    if (p.value !== null) out.push({ name: p.name, value: jsonValue(p.value, types[i] as JsonType | undefined) });
  });
  return out;
}

function prepare(config: ResponseTransformerConfig): ResponseTransformerConf {
  const json = {
    remove: config.remove.json,
    rename: config.rename.json.map(pair),
    replace: jsonPairs(config.replace.json, config.replace.json_types),
    add: jsonPairs(config.add.json, config.add.json_types),
    append: jsonPairs(config.append.json, config.append.json_types),
  };
  const transformsBody =
    config.remove.json.length + config.rename.json.length + config.replace.json.length + config.add.json.length + config.append.json.length > 0;
  return {
    headers: {
      remove: config.remove.headers.map((entry) => pair(entry).name),
      rename: config.rename.headers.map(pair),
      replace: config.replace.headers.map(pair),
      add: config.add.headers.map(pair),
      append: config.append.headers.map(pair),
    },
    json,
    transformsBody,
  };
}

/** Whether a Content-Type (possibly a comma-separated list) names JSON: `application/json`, with parameters. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  for (const item of contentType.split(',')) {
    const semi = item.indexOf(';');
    const mime = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase();
    if (mime === 'application/json') return true;
  }
  return false;
}

function header_filter(kong: Kong, conf: ResponseTransformerConf): void {
  const response = kong.response;
  // Presence is judged on the headers as the upstream sent them, as in Kong.
  const headers = response.getHeaders();
  const has = (name: string) => headers[name.toLowerCase()] !== undefined;
  const h = conf.headers;
  for (const name of h.remove) response.clearHeader(name);
  for (const rule of h.rename) {
    const value = headers[rule.name.toLowerCase()];
    if (value === undefined || rule.value === null) continue;
    response.clearHeader(rule.name);
    response.setHeader(rule.value, value);
  }
  for (const rule of h.replace) if (rule.value !== null && has(rule.name)) response.setHeader(rule.name, rule.value);
  for (const rule of h.add) if (rule.value !== null && !has(rule.name)) response.setHeader(rule.name, rule.value);
  for (const rule of h.append) if (rule.value !== null) response.addHeader(rule.name, rule.value);
  // The body is going to change length.
  if (conf.transformsBody && isJsonContentType(firstOf(headers['content-type']))) response.clearHeader('Content-Length');
}

function firstOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

type Json = Fields;

/** Applies the JSON rules; returns the new body, or an error message. */
export function transformJson(conf: ResponseTransformerConf, text: string): string | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'failed parsing json body' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'the json body is not an object' };
  const json = body as Json;
  const j = conf.json;
  for (const name of j.remove) delete json[name];
  for (const rule of j.rename) {
    const value = own(json, rule.name);
    if (value === undefined || rule.value === null) continue;
    delete json[rule.name];
    put(json, rule.value, value);
  }
  for (const rule of j.replace) if (rule.value !== undefined && truthy(own(json, rule.name))) put(json, rule.name, rule.value);
  for (const rule of j.add) if (rule.value !== undefined && !truthy(own(json, rule.name))) put(json, rule.name, rule.value);
  for (const rule of j.append) {
    if (rule.value === undefined) continue;
    const seen = own(json, rule.name);
    if (typeof seen === 'string') put(json, rule.name, [seen, rule.value]);
    else if (Array.isArray(seen)) seen.push(rule.value);
    else put(json, rule.name, [rule.value]);
  }
  return JSON.stringify(json);
}

function body_filter(kong: Kong, conf: ResponseTransformerConf): void {
  if (!conf.transformsBody || !isJsonContentType(kong.response.getHeader('Content-Type'))) return;
  // Asking for the whole body holds the chunks back until the last one.
  const text = kong.response.getRawBody();
  if (!kong.response.isLastChunk()) return;
  const result = transformJson(conf, text);
  if (typeof result !== 'string') {
    kong.log.warn(`body transform failed: ${result.error}`);
    return;
  }
  kong.response.setRawBody(result);
}

export const responseTransformerHandler: PluginHandler<ResponseTransformerConf, ResponseTransformerConfig> = {
  name: 'response-transformer',
  priority: 800,
  version: '3.10.0',
  prepare,
  header_filter,
  body_filter,
};
