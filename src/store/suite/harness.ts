/** What the shared store suite needs from each implementation's test setup. */
import type { MigrationRegistry, MigrationTarget } from '../migrations/index.ts';
import type { Store } from '../types.ts';

/** A database with no tables, for migration cases. */
export interface EmptyDatabase {
  target: MigrationTarget;
  /** Opens a store on it the normal way (SQLite bootstraps, PostgreSQL refuses when not bootstrapped). */
  open(registry?: MigrationRegistry): Promise<Store>;
  /** Runs SQL on it outside the store (to plant a table that is not ours). */
  exec(sql: string): Promise<void>;
  tableExists(name: string): Promise<boolean>;
  drop(): Promise<void>;
}

export interface StoreHarness {
  readonly kind: 'sqlite' | 'postgres';
  /** The store under test, emptied of every entity (one store and database serve all cases, for speed). */
  fresh(): Promise<Store>;
  /** A second store with its own connection on the same database (another process or node, in effect). */
  openSecond(): Promise<Store>;
  emptyDatabase(): Promise<EmptyDatabase>;
  close(): Promise<void>;
}
