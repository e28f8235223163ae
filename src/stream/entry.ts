/**
 * What the stream proxy needs for one stream route, prebuilt at configuration time: the service, its peers
 * (the same balancers and health state as HTTP traffic to that upstream), whether to speak TLS upstream and
 * the service's timeouts.
 */
import type { PeerOrigin, PeerPicker, RouteFields, ServiceFields } from '../snapshot/types.ts';
import type { StreamAccess } from './access.ts';

export interface StreamEntry {
  readonly route: RouteFields;
  readonly service: ServiceFields | null;
  readonly peers: PeerPicker | null;
  /** Service protocol `tls`: the proxy opens TLS to the upstream. */
  readonly upstreamTls: boolean;
  /** Connect timeout, trust and client certificate for the upstream connection. */
  readonly origin: PeerOrigin | null;
  readonly readTimeout: number;
  readonly writeTimeout: number;
  /** Why this route is refused (a data plane lacking a plugin it uses), or null; see ProxyEntry.refusal. */
  readonly refusal: string | null;
  /** ip-restriction for this route, or null. */
  readonly access: StreamAccess | null;
}
