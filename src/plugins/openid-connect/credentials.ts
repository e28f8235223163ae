/**
 * Credentials a client presents for the gateway to exchange at the provider's token endpoint: a pair (username
 * and password, or client id and secret) from HTTP Basic or from query or body arguments, and a refresh token
 * from a named header or argument, each looked for only where the configuration's `*_param_type` allows.
 */
import type { Kong } from '../../pdk/index.ts';
import { firstString, type ParamType } from './conf.ts';

/** A pair of credentials and where it was found (so `hide_credentials` can remove it from the upstream request). */
export interface Pair {
  readonly id: string;
  readonly secret: string;
  readonly from: ParamType;
}

/** The HTTP Basic pair of the Authorization header, or null. */
function basicPair(kong: Kong): { id: string; secret: string } | null {
  const header = kong.request.getHeader('authorization');
  if (header === undefined) return null;
  const m = /^\s*basic\s+(\S+)\s*$/i.exec(header);
  if (m === null) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

const nonEmpty = (v: unknown): string | null => {
  const s = firstString(v);
  return s === null || s === '' ? null : s;
};

/** The parsed form or JSON body, or null for any other body (or none). */
async function bodyArgs(kong: Kong): Promise<Record<string, unknown> | null> {
  const type = (kong.request.getHeader('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('application/json')) return null;
  try {
    const body = await kong.request.getBody();
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The first pair found in the allowed places: the Basic header, then query arguments, then body arguments. */
export async function findPair(kong: Kong, where: ReadonlySet<ParamType>, idName: string, secretName: string): Promise<Pair | null> {
  if (where.has('header')) {
    const basic = basicPair(kong);
    if (basic !== null) return { ...basic, from: 'header' };
  }
  if (where.has('query')) {
    const id = nonEmpty(kong.request.getQueryArg(idName));
    const secret = nonEmpty(kong.request.getQueryArg(secretName));
    if (id !== null && secret !== null) return { id, secret, from: 'query' };
  }
  if (where.has('body')) {
    const body = await bodyArgs(kong);
    const id = body === null ? null : nonEmpty(body[idName]);
    const secret = body === null ? null : nonEmpty(body[secretName]);
    if (id !== null && secret !== null) return { id, secret, from: 'body' };
  }
  return null;
}

/** The refresh token under `name`: a header, a query argument or a body argument, as allowed. */
export async function findNamed(kong: Kong, where: ReadonlySet<ParamType>, name: string): Promise<{ value: string; from: ParamType } | null> {
  if (where.has('header')) {
    const value = kong.request.getHeader(name);
    if (value !== undefined && value.trim() !== '') return { value: value.trim(), from: 'header' };
  }
  if (where.has('query')) {
    const value = nonEmpty(kong.request.getQueryArg(name));
    if (value !== null) return { value, from: 'query' };
  }
  if (where.has('body')) {
    const body = await bodyArgs(kong);
    const value = body === null ? null : nonEmpty(body[name]);
    if (value !== null) return { value, from: 'body' };
  }
  return null;
}
