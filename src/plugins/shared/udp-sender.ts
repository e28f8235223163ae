/**
 * UDP datagrams to log collectors (udp-log, loggly, statsd) from one socket per address family per worker.
 * Sending never waits; a failure is reported through a throttled log line.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { ThrottledLog } from './throttled-log.ts';

let udp4: Socket | null = null;
let udp6: Socket | null = null;

function socketFor(host: string): Socket {
  if (isIP(host) === 6) {
    if (udp6 === null) {
      udp6 = createSocket('udp6');
      udp6.on('error', () => {});
      udp6.unref();
    }
    return udp6;
  }
  if (udp4 === null) {
    udp4 = createSocket('udp4');
    udp4.on('error', () => {});
    udp4.unref();
  }
  return udp4;
}

export class UdpSender {
  readonly host: string;
  readonly port: number;
  readonly log = new ThrottledLog();
  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
  }
  send(data: string | Buffer): void {
    socketFor(this.host).send(data, this.port, this.host, (err) => {
      if (err) this.log.error(`could not send data to ${this.host}:${this.port}: ${err.message}`);
    });
  }
}
