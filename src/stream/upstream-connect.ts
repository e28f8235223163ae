/**
 * Opens the upstream connection of a stream route: picks a peer with the service's balancer, connects
 * within the service's `connect_timeout` (TLS when the service protocol is `tls`), tries other targets on a
 * failed connect up to `retries` times, and reports passive health outcomes as HTTP traffic does.
 */
import type { LookupFunction } from '../balancer/dns-lookup.ts';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { BalancerRequest } from '../balancer/types.ts';
import type { HealthOutcome } from '../health/target-health.ts';
import type { UpstreamPeer } from '../snapshot/types.ts';
import type { StreamEntry } from './entry.ts';

export type HealthReporter = (upstreamId: string, target: string, outcome: HealthOutcome) => void;

/** Consistent hashing on a stream connection can only use the client address (`hash_on = ip`). */
function streamBalancerRequest(clientIp: string): BalancerRequest {
  return {
    clientIp,
    path: '',
    consumerKey: undefined,
    header: () => undefined,
    cookie: () => undefined,
    queryArg: () => undefined,
    uriCapture: () => undefined,
    hashValue: null,
    hashCookie: null,
  };
}

export interface Connected {
  socket: Socket;
  peer: UpstreamPeer;
}

/** Resolves with a connected (and, for `tls` services, handshaken) upstream socket; rejects with the last failure. */
/** `lookup` resolves upstream host names as the HTTP proxy does (`dns_resolver`); null uses Node's `dns.lookup`. */
export function connectUpstream(entry: StreamEntry, clientIp: string, report: HealthReporter, lookup: LookupFunction | null = null): Promise<Connected> {
  const picker = entry.peers;
  if (picker === null || entry.origin === null) return Promise.reject(new Error('the route has no service'));
  const request = picker.hashes ? streamBalancerRequest(clientIp) : null;
  const tried: number[] = [];
  const retries = entry.service?.retries ?? 0;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const peer = picker.pick(request, tried.length === 0 ? null : tried);
      if (peer === undefined) {
        reject(new Error(picker.unavailableMessage));
        return;
      }
      openOne(entry, peer, lookup).then(
        (socket) => {
          if (picker.passive !== null) report(picker.passive.upstreamId, peer.address, 'success');
          resolve({ socket, peer });
        },
        (err: Error & { timedOut?: boolean }) => {
          if (picker.passive !== null) report(picker.passive.upstreamId, peer.address, err.timedOut === true ? 'timeout' : 'tcp_failure');
          tried.push(peer.target);
          if (tried.length > retries) reject(new Error(`${peer.address}: ${err.message}`));
          else attempt();
        },
      );
    };
    attempt();
  });
}

function openOne(entry: StreamEntry, peer: UpstreamPeer, lookup: LookupFunction | null): Promise<Socket> {
  const resolveWith = lookup === null ? {} : { lookup };
  const origin = entry.origin!;
  return new Promise((resolve, reject) => {
    let socket: Socket;
    const ready = entry.upstreamTls ? 'secureConnect' : 'connect';
    if (entry.upstreamTls) {
      socket = connectTls({
        host: peer.host,
        port: peer.port,
        // RFC 6066 allows no IP address as server name.
        servername: isIP(peer.host) === 0 ? peer.host : undefined,
        rejectUnauthorized: origin.tlsVerify,
        ca: origin.ca === null ? undefined : [...origin.ca],
        cert: origin.clientCertificate?.cert,
        key: origin.clientCertificate?.key,
        ...resolveWith,
      });
    } else {
      // Half-open: a client that ends its side still gets the upstream's answer.
      socket = connectTcp({ host: peer.host, port: peer.port, noDelay: true, allowHalfOpen: true, ...resolveWith });
    }
    const timer = setTimeout(() => {
      const err: Error & { timedOut?: boolean } = new Error(`connect timed out after ${origin.connectTimeout} ms`);
      err.timedOut = true;
      socket.destroy();
      reject(err);
    }, origin.connectTimeout);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
}
