/**
 * A persistent TCP (or TLS) connection to one log collector, shared by every plugin entity of a worker that
 * sends to the same place: writes never wait (they go to the socket's buffer), the connection is opened on
 * demand, closed after `keepalive` ms idle, and what is buffered is bounded — past the bound, and when the
 * collector cannot be reached, messages are dropped and the failure reported through a throttled log line.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ThrottledLog } from './throttled-log.ts';
import { onWorkerExit, until } from './worker-exit.ts';

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
  readonly timeout: number;
  readonly keepalive: number;
  readonly tls: boolean;
  readonly tlsSni: string | null;
}

/** Most bytes buffered for one collector (pending connect plus the socket's own buffer). */
const MAX_BUFFERED = 16 * 1024 * 1024;
/** After a failed connect, messages are dropped for this long rather than trying to connect once per request. */
const RECONNECT_DELAY_MS = 1000;

export class TcpSender {
  readonly target: TcpTarget;
  readonly log = new ThrottledLog();
  #socket: Socket | null = null;
  #connected = false;
  #pending: string[] = [];
  #pendingBytes = 0;
  #dropped = 0;
  #retryAt = 0;
  /** The size of the last message, the estimate of the next one's for `full`. */
  #lastSize = 0;

  constructor(target: TcpTarget) {
    this.target = target;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Whether nothing waits to be written (nothing pending, the socket's buffer empty). */
  get flushed(): boolean {
    return this.#pending.length === 0 && (this.#socket === null || this.#socket.writableLength === 0);
  }

  #where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  #buffered(): number {
    return this.#pendingBytes + (this.#socket?.writableLength ?? 0);
  }

  /** Between a failed connect and the next attempt, when messages are dropped rather than connecting. */
  #waitingToRetry(): boolean {
    return this.#socket === null && performance.now() < this.#retryAt;
  }

  /**
   * Whether the next message would be dropped: the collector could not be reached and the next attempt is
   * not due, or the buffer has no room for a message the size of the last one. A producer whose messages
   * cost something to build (a serialised log record) checks this first and calls `refuse()` instead.
   */
  get full(): boolean {
    return this.#waitingToRetry() || this.#buffered() + this.#lastSize > MAX_BUFFERED;
  }

  /** Counts a message the producer did not build because the sender was `full`, as `send` counts a drop. */
  refuse(): void {
    if (this.#waitingToRetry()) this.#dropped++;
    else this.#dropFull();
  }

  #dropFull(): void {
    this.#dropped++;
    this.log.error(`failed to send data to ${this.#where()}: buffer full, ${this.#dropped} messages dropped so far`);
  }

  send(data: string): void {
    this.#lastSize = data.length;
    if (this.#buffered() + data.length > MAX_BUFFERED) {
      this.#dropFull();
      return;
    }
    if (this.#connected && this.#socket !== null) {
      this.#write(this.#socket, data);
      return;
    }
    if (this.#waitingToRetry()) {
      this.#dropped++;
      return;
    }
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#socket === null) this.#open();
  }

  #write(socket: Socket, data: string): void {
    socket.setTimeout(this.target.timeout);
    socket.write(data, () => {
      if (socket.writableLength === 0 && this.target.keepalive > 0) socket.setTimeout(this.target.keepalive);
    });
  }

  #open(): void {
    const t = this.target;
    const onConnect = () => {
      this.#connected = true;
      const data = this.#pending.join('');
      this.#pending = [];
      this.#pendingBytes = 0;
      if (data !== '') this.#write(socket, data);
    };
    // Kong's tcp-log does not verify the collector's certificate.
    const socket: Socket = t.tls
      ? tlsConnect({ host: t.host, port: t.port, servername: t.tlsSni ?? (isIP(t.host) === 0 ? t.host : undefined), rejectUnauthorized: false }, onConnect)
      : netConnect({ host: t.host, port: t.port }, onConnect);
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(t.timeout);
    socket.on('timeout', () => {
      if (this.#connected && socket.writableLength === 0) socket.end();
      else socket.destroy(new Error('timeout'));
    });
    socket.on('data', () => {});
    socket.on('error', (err) => {
      if (!this.#connected) this.#retryAt = performance.now() + RECONNECT_DELAY_MS;
      const lost = this.#pending.length;
      this.#pending = [];
      this.#pendingBytes = 0;
      this.log.error(`failed to ${this.#connected ? 'send data' : 'connect'} to ${this.#where()}: ${err.message}${lost > 0 ? ` (${lost} messages lost)` : ''}`);
    });
    socket.on('close', () => {
      if (this.#socket === socket) {
        this.#socket = null;
        this.#connected = false;
        // Messages that arrived while the connection was closing go out on a new one.
        if (this.#pending.length > 0) this.#open();
      }
    });
    socket.unref();
  }
}

const senders = new Map<string, TcpSender>();

/** A stopping worker lets its connections send what they hold. */
async function drainSenders(): Promise<void> {
  await until(() => [...senders.values()].every((s) => s.flushed));
}

/** This worker's sender for a target, created on first use. */
export function tcpSender(target: TcpTarget): TcpSender {
  const key = `${target.host}|${target.port}|${target.tls}|${target.tlsSni ?? ''}|${target.timeout}|${target.keepalive}`;
  let s = senders.get(key);
  if (s === undefined) {
    onWorkerExit(drainSenders);
    s = new TcpSender(target);
    senders.set(key, s);
  }
  return s;
}
