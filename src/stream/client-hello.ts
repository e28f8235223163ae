/**
 * Reads the server name from the first bytes of a TLS connection without terminating it (what nginx's
 * `ssl_preread` gives Kong for `tls_passthrough` routes). Only the first record is read: a ClientHello
 * fits in one record (at most 16 KiB) in practice.
 */

/** The outcome of looking at the bytes received so far. */
export type ClientHelloPeek =
  /** Not a TLS handshake: route the connection as plain TCP. */
  | { kind: 'not-tls' }
  /** A TLS ClientHello; `sni` is the host name it asks for, lower-case, or null when it names none. */
  | { kind: 'tls'; sni: string | null }
  /** The record is not complete yet. */
  | { kind: 'more' };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME = 0x0000;
const HOST_NAME = 0x00;
const MAX_RECORD = 16_384 + 2048;

const NOT_TLS: ClientHelloPeek = { kind: 'not-tls' };
const MORE: ClientHelloPeek = { kind: 'more' };
const NO_NAME: ClientHelloPeek = { kind: 'tls', sni: null };

/** Looks at `data`, the connection's first bytes. */
export function peekClientHello(data: Buffer): ClientHelloPeek {
  if (data.length === 0) return MORE;
  if (data[0] !== HANDSHAKE) return NOT_TLS;
  if (data.length < 5) return MORE;
  // Record versions are 3.x; anything else is not TLS.
  if (data[1] !== 3) return NOT_TLS;
  const recordLength = data.readUInt16BE(3);
  if (recordLength > MAX_RECORD) return NOT_TLS;
  if (data.length < 5 + recordLength) return MORE;
  return parseHandshake(data.subarray(5, 5 + recordLength));
}

function parseHandshake(h: Buffer): ClientHelloPeek {
  if (h.length < 4 || h[0] !== CLIENT_HELLO) return NOT_TLS;
  let at = 4 + 2 + 32; // handshake header, client version, random
  if (at + 1 > h.length) return NO_NAME;
  at += 1 + h[at]; // session id
  if (at + 2 > h.length) return NO_NAME;
  at += 2 + h.readUInt16BE(at); // cipher suites
  if (at + 1 > h.length) return NO_NAME;
  at += 1 + h[at]; // compression methods
  if (at + 2 > h.length) return NO_NAME;
  const end = Math.min(h.length, at + 2 + h.readUInt16BE(at));
  at += 2;
  while (at + 4 <= end) {
    const type = h.readUInt16BE(at);
    const length = h.readUInt16BE(at + 2);
    at += 4;
    if (at + length > end) return NO_NAME;
    if (type === SERVER_NAME) return { kind: 'tls', sni: serverName(h.subarray(at, at + length)) };
    at += length;
  }
  return NO_NAME;
}

function serverName(ext: Buffer): string | null {
  if (ext.length < 2) return null;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let at = 2;
  while (at + 3 <= end) {
    const type = ext[at];
    const length = ext.readUInt16BE(at + 1);
    at += 3;
    if (at + length > end) return null;
    if (type === HOST_NAME) return ext.toString('latin1', at, at + length).toLowerCase();
    at += length;
  }
  return null;
}
