/**
 * request-size-limiting: refuses request bodies larger than the configured size, as Kong's plugin does
 * (413, or 417 when the client sent `Expect: 100-continue`; 411 when `require_content_length` is on and the
 * request has neither a Content-Length nor a chunked body).
 *
 * Kong reads a body without Content-Length whole before deciding. Tollgate does not buffer it: the plugin
 * sets the bound with `kong.request.limitBodySize`, and the proxy counts the body as it streams upstream,
 * cutting the upstream call and answering with the same status and message once the count passes the bound.
 * A body another plugin has already read is checked by the same bound.
 */
import type { Kong, PluginHandler } from '../../pdk/index.ts';
import type { RequestSizeLimitingConfig } from './schema.ts';

export const ERR_SIZE_LIMIT = 'Request size limit exceeded';
export const ERR_LENGTH_REQUIRED = 'A valid Content-Length header is required';

/** Bytes per unit (binary multiples, as Kong computes them). */
const UNIT_BYTES: Readonly<Record<RequestSizeLimitingConfig['size_unit'], number>> = {
  bytes: 1,
  kilobytes: 1024,
  megabytes: 1_048_576,
};

/** The configuration as the access phase reads it. */
export interface RequestSizeLimitingConf {
  readonly maxBytes: number;
  readonly requireContentLength: boolean;
}

function prepare(config: RequestSizeLimitingConfig): RequestSizeLimitingConf {
  // Kong's schema lets the size be null or negative; treat those as "no body at all".
  const size = Math.max(0, config.allowed_payload_size ?? 0);
  return { maxBytes: size * UNIT_BYTES[config.size_unit], requireContentLength: config.require_content_length };
}

/** 417 instead of 413 when the client waits for `100 Continue` before sending the body. */
function refusalStatus(kong: Kong): number {
  const expect = kong.request.getHeader('expect');
  return expect !== undefined && expect.trim().toLowerCase() === '100-continue' ? 417 : 413;
}

function access(kong: Kong, conf: RequestSizeLimitingConf): void {
  const length = kong.request.getHeader('content-length');
  if (length !== undefined && length.trim() !== '' && Number.isFinite(Number(length))) {
    if (Number(length) > conf.maxBytes) kong.response.error(refusalStatus(kong), ERR_SIZE_LIMIT);
    return;
  }
  if (conf.requireContentLength && kong.request.getHeader('transfer-encoding') !== 'chunked') {
    kong.response.error(411, ERR_LENGTH_REQUIRED);
    return;
  }
  kong.request.limitBodySize(conf.maxBytes, refusalStatus(kong), ERR_SIZE_LIMIT);
}

export const requestSizeLimitingHandler: PluginHandler<RequestSizeLimitingConf, RequestSizeLimitingConfig> = {
  name: 'request-size-limiting',
  priority: 951,
  version: '3.10.0',
  prepare,
  access,
};
