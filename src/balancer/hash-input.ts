import { randomUUID } from 'node:crypto';
import type { UpstreamFields } from '../snapshot/types.ts';
import type { BalancerRequest } from './types.ts';

type Reader = (request: BalancerRequest) => string | undefined;

/** How one `hash_on`/`hash_fallback` input is read; null for `none`. */
function readerFor(input: string, upstream: UpstreamFields, fallback: boolean): Reader | null {
  switch (input) {
    case 'consumer':
      return (r) => r.consumerKey;
    case 'ip':
      return (r) => r.clientIp;
    case 'header': {
      const name = ((fallback ? upstream.hash_fallback_header : upstream.hash_on_header) ?? '').toLowerCase();
      return (r) => r.header(name);
    }
    case 'cookie': {
      const name = upstream.hash_on_cookie ?? '';
      const path = upstream.hash_on_cookie_path ?? '/';
      // A client without the cookie gets a new random one, set on the response, so that its next requests stick.
      return (r) => {
        const value = r.cookie(name);
        if (value !== undefined) return value;
        const made = randomUUID();
        r.hashCookie = { name, value: made, path };
        return made;
      };
    }
    case 'path':
      return (r) => r.path;
    case 'query_arg': {
      const name = (fallback ? upstream.hash_fallback_query_arg : upstream.hash_on_query_arg) ?? '';
      return (r) => r.queryArg(name);
    }
    case 'uri_capture': {
      const name = (fallback ? upstream.hash_fallback_uri_capture : upstream.hash_on_uri_capture) ?? '';
      return (r) => r.uriCapture(name);
    }
    default:
      return null;
  }
}

/**
 * The value a consistent-hashing upstream hashes for a request, as Kong computes it: the `hash_on` input,
 * else the `hash_fallback` input, else the empty string (every such request then goes to one target).
 */
export function compileHashInput(upstream: UpstreamFields): (request: BalancerRequest) => string {
  const primary = readerFor(upstream.hash_on ?? 'none', upstream, false);
  const fallback = primary === null ? null : readerFor(upstream.hash_fallback ?? 'none', upstream, true);
  return (request) => {
    const value = primary?.(request);
    if (value !== undefined && value !== '') return value;
    const second = fallback?.(request);
    return second !== undefined && second !== '' ? second : '';
  };
}
