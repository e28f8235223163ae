/** `host:port` of a target, IPv6 hosts in brackets: the key workers and the health checker agree on. */
export function targetKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits a target string (`host:port`, `[v6]:port`, or a host alone) as Kong does, port 8000 by default. */
export function splitTargetString(target: string): { host: string; port: number } {
  if (target.startsWith('[')) {
    const end = target.indexOf(']');
    const port = target.slice(end + 2);
    return { host: target.slice(1, end), port: port === '' ? 8000 : Number(port) };
  }
  const colon = target.lastIndexOf(':');
  if (colon === -1) return { host: target, port: 8000 };
  return { host: target.slice(0, colon), port: Number(target.slice(colon + 1)) };
}

/** `<upstream id> <host:port>`: one target of one upstream, as health announcements name it. */
export function healthKey(upstreamId: string, key: string): string {
  return `${upstreamId} ${key}`;
}
