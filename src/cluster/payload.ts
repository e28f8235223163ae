/**
 * Config messages as they travel in binary WebSocket frames: gzip'd JSON. Decoding is bounded on both
 * the compressed and the inflated size, and checks the shape before anything downstream trusts it.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { ENTITIES, ENTITY_ORDER, isEntityName, type EntityName } from '../entities/index.ts';
import type { WireConfig, WireEntity } from './config-version.ts';

export interface FullConfigMessage {
  type: 'full';
  hash: string;
  sequence: number;
  created_at: number;
  config: WireConfig;
}

export interface DeltaConfigMessage {
  type: 'delta';
  base: string;
  hash: string;
  sequence: number;
  created_at: number;
  upserts: Partial<Record<EntityName, WireEntity[]>>;
  deletes: Partial<Record<EntityName, string[]>>;
}

export type ConfigMessage = FullConfigMessage | DeltaConfigMessage;

export type PayloadErrorCode = 'too-large' | 'inflated-too-large' | 'bad-gzip' | 'bad-json' | 'bad-shape';

export class PayloadError extends Error {
  readonly code: PayloadErrorCode;
  constructor(code: PayloadErrorCode, message: string) {
    super(message);
    this.name = 'PayloadError';
    this.code = code;
  }
}

/** Inflated size allowed per compressed byte allowed; JSON configs compress about 10-30 times. */
export const DEFAULT_INFLATE_RATIO = 16;

export function encodeConfigMessage(m: ConfigMessage): Buffer {
  return gzipSync(JSON.stringify(m), { level: 6 });
}

export interface DecodeOptions {
  /** Upper bound of the inflated JSON (default `maxBytes × 16`). */
  maxInflatedBytes?: number;
}

export function decodeConfigMessage(b: Buffer, maxBytes: number, options: DecodeOptions = {}): ConfigMessage {
  if (b.length > maxBytes) {
    throw new PayloadError('too-large', `config payload of ${b.length} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  const maxInflated = options.maxInflatedBytes ?? maxBytes * DEFAULT_INFLATE_RATIO;
  let json: Buffer;
  try {
    json = gunzipSync(b, { maxOutputLength: maxInflated });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadError('inflated-too-large', `config payload inflates beyond ${maxInflated} bytes`);
    }
    throw new PayloadError('bad-gzip', `config payload is not valid gzip: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new PayloadError('bad-json', `config payload is not valid JSON: ${(err as Error).message}`);
  }
  return validateConfigMessage(parsed);
}

const HASH = /^[0-9a-f]{32}$/;

function shape(message: string): PayloadError {
  return new PayloadError('bad-shape', `config payload: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkHash(v: unknown, field: string): void {
  if (typeof v !== 'string' || !HASH.test(v)) throw shape(`${field} must be 32 lowercase hex characters`);
}

function checkEntities(v: unknown, where: string): WireEntity[] {
  if (!Array.isArray(v)) throw shape(`${where} must be an array`);
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    if (!isObject(e)) throw shape(`${where}[${i}] must be an object`);
    if (typeof e.id !== 'string' || e.id === '') throw shape(`${where}[${i}].id must be a non-empty string`);
    if (seen.has(e.id)) throw shape(`${where} has the id ${e.id} twice`);
    seen.add(e.id);
  }
  return v as WireEntity[];
}

/**
 * A collection this node does not know: an empty one (a plugin the control plane enables and this node
 * does not, with no entities) is dropped; one with entities is refused.
 */
function unknownCollection(v: Record<string, unknown>, key: string, where: string): void {
  if (Array.isArray(v[key]) && v[key].length === 0) {
    delete v[key];
    return;
  }
  throw shape(`${where} has an unknown collection ${JSON.stringify(key)} (no plugin enabled on this node defines it)`);
}

/**
 * Checks that a parsed value is a complete configuration: every core collection, the registered plugins'
 * collections (a missing one is empty, as from a control plane without that plugin), nothing else.
 */
export function validateWireConfig(v: unknown, where = 'config'): WireConfig {
  if (!isObject(v)) throw shape(`${where} must be an object`);
  for (const key of Object.keys(v)) {
    if (!isEntityName(key)) unknownCollection(v, key, where);
  }
  for (const name of ENTITY_ORDER) {
    if (!(name in v)) {
      if (ENTITIES[name].plugin === null) throw shape(`${where}.${name} is missing`);
      v[name] = [];
    }
    checkEntities(v[name], `${where}.${name}`);
  }
  return v as WireConfig;
}

function checkCollections(v: unknown, where: string, each: (list: unknown, at: string) => string[]): Map<EntityName, string[]> {
  if (!isObject(v)) throw shape(`${where} must be an object`);
  const ids = new Map<EntityName, string[]>();
  for (const [key, list] of Object.entries(v)) {
    if (!isEntityName(key)) {
      unknownCollection(v, key, where);
      continue;
    }
    ids.set(key, each(list, `${where}.${key}`));
  }
  return ids;
}

function checkDeletes(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) throw shape(`${where} must be an array`);
  const seen = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const id: unknown = v[i];
    if (typeof id !== 'string' || id === '') throw shape(`${where}[${i}] must be a non-empty string`);
    if (seen.has(id)) throw shape(`${where} has the id ${id} twice`);
    seen.add(id);
  }
  return v as string[];
}

export function validateConfigMessage(v: unknown): ConfigMessage {
  if (!isObject(v)) throw shape('message must be an object');
  if (v.type !== 'full' && v.type !== 'delta') throw shape('type must be "full" or "delta"');
  checkHash(v.hash, 'hash');
  if (typeof v.sequence !== 'number' || !Number.isSafeInteger(v.sequence) || v.sequence < 0) {
    throw shape('sequence must be a non-negative integer');
  }
  if (typeof v.created_at !== 'number' || !Number.isFinite(v.created_at) || v.created_at < 0) {
    throw shape('created_at must be a non-negative number');
  }
  if (v.type === 'full') {
    validateWireConfig(v.config);
    return v as unknown as FullConfigMessage;
  }
  checkHash(v.base, 'base');
  const upserts = checkCollections(v.upserts, 'upserts', (list, at) => checkEntities(list, at).map((e) => e.id));
  const deletes = checkCollections(v.deletes, 'deletes', checkDeletes);
  for (const [name, ids] of deletes) {
    const upserted = new Set(upserts.get(name));
    const both = ids.find((id) => upserted.has(id));
    if (both !== undefined) throw shape(`${name} ${both} is both upserted and deleted`);
  }
  return v as unknown as DeltaConfigMessage;
}
