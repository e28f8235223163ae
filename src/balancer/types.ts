/** What a hashing balancer may read from a request: Kong's `hash_on` inputs. */
export interface BalancerRequest {
  /** The client address as the proxy determined it (`real_ip_header` from trusted peers). */
  readonly clientIp: string;
  /** The normalised request path. */
  readonly path: string;
  /** The authenticated consumer's id, else the credential's, else undefined. */
  readonly consumerKey: string | undefined;
  /** A request header by lower-case name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  /** A query argument; repeated arguments are sorted and joined with ",". */
  queryArg(name: string): string | undefined;
  /** A named or numbered capture of the route's regex path. */
  uriCapture(name: string): string | undefined;
  /** The value hashed for this request, computed on its first try and kept for its retries. */
  hashValue: string | null;
  /** A cookie the balancer made up (hash_on = cookie and the client sent none), to set on the response. */
  hashCookie: { name: string; value: string; path: string } | null;
}

/** One target as a balancer sees it. */
export interface BalancerTarget {
  /** The target's host (an IP address or a name). */
  readonly host: string;
  readonly port: number;
  readonly weight: number;
}

/**
 * Picks target indexes for one upstream's targets. One instance serves every service that points at the
 * upstream, so that its counts (connections, latency) are the upstream's.
 */
export interface TargetBalancer {
  /** Whether `pick` reads the request (consistent hashing); otherwise it is given null. */
  readonly hashes: boolean;
  /** 1 for each target the health checks found unhealthy: `pick` skips it. Written when health changes. */
  readonly down: Uint8Array;
  /** A target index, or -1 when none can take the request. `tried` lists the targets this request failed on. */
  pick(request: BalancerRequest | null, tried: readonly number[] | null): number;
  /**
   * Called once for every try `pick` answered, when it ends: `ms` is the time the target took for a complete
   * response, or -1 when the try failed or was abandoned. Null when the algorithm keeps no per-try state.
   */
  readonly release: ((target: number, ms: number) => void) | null;
}
