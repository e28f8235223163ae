/**
 * Binds to an LDAP server as a user (ldapts), over plain LDAP, LDAPS or StartTLS, reusing idle connections
 * for `keepalive` milliseconds as Kong's cosocket pool does. StartTLS connections are pooled apart from plain
 * ones on the same port, and a pooled connection is used again only while it is still open: ldapts would
 * otherwise reconnect on its own, in clear, and send the password unencrypted.
 */
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { Client, ResultCodeError } from 'ldapts';

/** Where and how to reach the server. */
export interface LdapTarget {
  readonly host: string;
  readonly port: number;
  readonly ldaps: boolean;
  readonly startTls: boolean;
  readonly verify: boolean;
  /** Milliseconds for connecting and for each answer. */
  readonly timeoutMs: number;
  /** Milliseconds an idle connection is kept. */
  readonly keepaliveMs: number;
}

/**
 * The outcome of a bind: `ok`; `rejected` (the server refused the bind); `untrusted` (the TLS handshake
 * failed, the certificate refused: Kong answers it with a 401 as well); `unreachable` (no connection or no
 * answer: Kong's 500).
 */
export type BindOutcome = { readonly kind: 'ok' } | { readonly kind: 'rejected' | 'untrusted' | 'unreachable'; readonly reason: string };

/** How many idle connections are kept per server (and TLS mode). */
const MAX_IDLE = 32;

interface Idle {
  readonly client: Client;
  readonly timer: NodeJS.Timeout;
}

/** TLS failures before a handshake completed, told apart from the TCP errors of the same connect. */
const handshakeFailures = new WeakSet<object>();

function tlsOptions(target: LdapTarget): ConnectionOptions {
  return {
    rejectUnauthorized: target.verify,
    ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
  };
}

/** tls.connect, marking a failure of the handshake itself (not of the TCP connection) as such. */
function handshakeAwareConnect(...args: Parameters<typeof tlsConnect>): TLSSocket {
  const socket = (tlsConnect as (...a: Parameters<typeof tlsConnect>) => TLSSocket)(...args);
  let secured = false;
  socket.once('secureConnect', () => {
    secured = true;
  });
  // Registered before ldapts's own listener, so the error it sees is already marked.
  socket.prependListener('error', (err: Error & { syscall?: string }) => {
    if (!secured && typeof err.syscall !== 'string') handshakeFailures.add(err);
  });
  return socket;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
}

export class LdapDirectory {
  readonly #idle = new Map<string, Idle[]>();

  /** Binds as `dn` with `password` (which must not be empty: an empty one is an unauthenticated bind). */
  async bind(target: LdapTarget, dn: string, password: string): Promise<BindOutcome> {
    const key = `${target.ldaps ? 'ldaps' : 'ldap'}://${target.host}:${target.port}${target.startTls ? ':starttls' : ''}:${target.verify}`;
    let client = this.#take(key);
    const fresh = client === null;
    if (client === null) {
      client = new Client({
        url: `${target.ldaps ? 'ldaps' : 'ldap'}://${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`,
        timeout: target.timeoutMs,
        connectTimeout: target.timeoutMs,
        strictDN: false,
        // ldapts speaks TLS from the start whenever it is given TLS options: only for ldaps.
        ...(target.ldaps ? { tlsOptions: tlsOptions(target) } : {}),
        createSecureConnection: handshakeAwareConnect as typeof tlsConnect,
      });
    }
    try {
      if (fresh && target.startTls) {
        try {
          await client.startTLS(tlsOptions(target));
        } catch (err) {
          // Never pooled: a connection left in clear must not serve a later bind as if it were upgraded.
          void client.unbind().catch(() => undefined);
          if (err instanceof ResultCodeError) return { kind: 'unreachable', reason: `StartTLS refused by ${target.host}:${target.port}: ${describe(err)}` };
          throw err;
        }
      }
      await client.bind(dn, password);
      this.#release(key, client, target.keepaliveMs);
      return { kind: 'ok' };
    } catch (err) {
      if (err instanceof ResultCodeError) {
        // The server answered: the connection is sound and may serve the next bind.
        this.#release(key, client, target.keepaliveMs);
        return { kind: 'rejected', reason: describe(err) };
      }
      void client.unbind().catch(() => undefined);
      if (err instanceof Error && handshakeFailures.has(err)) return { kind: 'untrusted', reason: `failed to do SSL handshake with ${target.host}:${target.port}: ${err.message}` };
      return { kind: 'unreachable', reason: `failed to reach ${target.host}:${target.port}: ${describe(err)}` };
    }
  }

  #take(key: string): Client | null {
    const list = this.#idle.get(key);
    while (list !== undefined && list.length > 0) {
      const idle = list.pop()!;
      clearTimeout(idle.timer);
      if (idle.client.isConnected) return idle.client;
      void idle.client.unbind().catch(() => undefined);
    }
    return null;
  }

  #release(key: string, client: Client, keepaliveMs: number): void {
    let list = this.#idle.get(key);
    if (list === undefined) this.#idle.set(key, (list = []));
    if (keepaliveMs <= 0 || list.length >= MAX_IDLE || !client.isConnected) {
      void client.unbind().catch(() => undefined);
      return;
    }
    const idle: Idle = {
      client,
      timer: setTimeout(() => {
        const at = list.indexOf(idle);
        if (at !== -1) list.splice(at, 1);
        void client.unbind().catch(() => undefined);
      }, keepaliveMs),
    };
    // An idle connection must not keep a stopping worker alive.
    idle.timer.unref();
    list.push(idle);
  }

  /** Closes every idle connection. */
  async close(): Promise<void> {
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map(async (idle) => {
      clearTimeout(idle.timer);
      await idle.client.unbind().catch(() => undefined);
    }));
  }
}
