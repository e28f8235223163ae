/**
 * Where a running node's Status API listens, kept in its prefix: `tollgate drain -p PREFIX` reaches the node
 * running there whatever settings the command itself is given, as Kong's drain reads the running node's
 * configuration from its prefix. Ports are the bound ones (a `:0` listener gets its real port).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StatusListenerRecord {
  ip: string;
  port: number;
  ssl: boolean;
}

const FILE = 'tollgate.status-listeners.json';

export function writeStatusListeners(prefix: string, listeners: readonly StatusListenerRecord[]): void {
  writeFileSync(join(prefix, FILE), `${JSON.stringify(listeners)}\n`, { mode: 0o600 });
}

/** The running node's listeners, or null when none were recorded (or the record is unreadable). */
export function readStatusListeners(prefix: string): StatusListenerRecord[] | null {
  try {
    const parsed = JSON.parse(readFileSync(join(prefix, FILE), 'utf8')) as unknown;
    if (!Array.isArray(parsed)) return null;
    return parsed.filter(
      (l): l is StatusListenerRecord => typeof l === 'object' && l !== null && typeof l.ip === 'string' && typeof l.port === 'number' && typeof l.ssl === 'boolean',
    );
  } catch {
    return null;
  }
}

export function removeStatusListeners(prefix: string): void {
  rmSync(join(prefix, FILE), { force: true });
}
