import type { ServerResponse } from 'node:http';
import type { ForwardHandler } from './forward.ts';
import type { ProxyCore } from './handler.ts';

/** The proxy's response object, with per-request slots read when the response closes. */
export interface ProxyResponse extends ServerResponse {
  forward?: ForwardHandler;
  core?: ProxyCore;
  requestId?: string;
  clientIp?: string;
  /** Body bytes sent to the client, for the access log. */
  bodyBytes?: number;
}
