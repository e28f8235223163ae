import type { ServerResponse } from 'node:http';

/** The proxy's response object, with per-request slots read when the response closes. */
export interface ProxyResponse extends ServerResponse {
  requestId?: string;
  clientIp?: string;
  /** Body bytes sent to the client, for the access log. */
  bodyBytes?: number;
  /** A WebSocket handshake: what the client sent after it (forwarded only once the upstream answers 101). */
  upgradeHead?: Buffer;
  /** The upstream switched protocols: `statusCode` (101) went to the client on the raw socket. */
  upgraded?: boolean;
}
