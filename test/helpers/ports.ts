import { createServer } from 'node:net';
import { mkdirSync, openSync, closeSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where test ports come from: below Linux's ephemeral range (32768-60999 by default). A port taken from
 * that range with bind(0) and released can be picked again as the source port of any outgoing connection
 * before the node under test binds it (EADDRINUSE); ports below it are only ever bound on purpose.
 */
const LOW = 20_000;
const HIGH = 32_000;
const handedOut = new Set<number>();

/**
 * Test files run in parallel processes, each handing out ports: a port one process checked and released can be
 * picked by another before the node it was meant for binds it. A claim file per port, created exclusively,
 * makes a port one process's for a while; claims older than that are stale and may be taken over.
 */
const CLAIMS = join(tmpdir(), 'tollgate-test-ports');
const CLAIM_MS = 10 * 60_000;

function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(file).mtimeMs < CLAIM_MS) return false;
      const now = new Date();
      utimesSync(file, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1 that this process has not handed out before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (handedOut.has(port)) continue;
    mkdirSync(CLAIMS, { recursive: true });
    if (!claim(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}
