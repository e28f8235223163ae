/**
 * The protocols a route, service or plugin can name, and the subsystem each belongs to (HTTP-like
 * protocols are proxied by the HTTP stack, the others by the stream stack).
 */

export const PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp'] as const;

export type Protocol = (typeof PROTOCOLS)[number];

/** HTTP-subsystem protocols, sorted: the default protocols of plugins. */
export const HTTP_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'] as const;

export const STREAM_PROTOCOLS = ['tcp', 'tls', 'tls_passthrough', 'udp'] as const;

export function isHttpProtocol(protocol: string): boolean {
  return (HTTP_PROTOCOLS as readonly string[]).includes(protocol);
}
