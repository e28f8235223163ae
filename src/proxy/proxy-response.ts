import type { ServerResponse } from 'node:http';

/** The proxy's response object, with per-request slots read when the response closes. */
export interface ProxyResponse extends ServerResponse {
  requestId?: string;
  clientIp?: string;
  /** Body bytes sent to the client, for the access log. */
  bodyBytes?: number;
}
