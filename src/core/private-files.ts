/**
 * Files that hold secrets (the SQLite database with key-auth keys in clear, its WAL and shared-memory files,
 * caches) are created readable by the node's user only, in a prefix only that user can enter.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/** Mode of the prefix: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of data files: owner read and write. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) with mode 0700. An existing directory keeps its mode: the operator may
 * have chosen it; the files inside are private either way.
 */
export function ensurePrivateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir's mode passes through the umask; say it once more, exactly.
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates `path` empty with mode 0600 when missing, and narrows an existing file to 0600. */
export function ensurePrivateFile(path: string): void {
  if (existsSync(path)) {
    chmodSync(path, PRIVATE_FILE_MODE);
    return;
  }
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Narrows `path` to 0600 when it exists (files a library created beside ours, such as SQLite's -wal and -shm). */
export function narrowIfPresent(path: string): void {
  try {
    chmodSync(path, PRIVATE_FILE_MODE);
  } catch {
    // Not there (yet): SQLite creates it with the database file's mode.
  }
}
