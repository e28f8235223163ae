/**
 * Migrations in the shape of Kong's (`kong migrations bootstrap | up | finish | list | reset`): ordered,
 * named steps per subsystem (`core`, and one per plugin bringing tables, named like the plugin), each with an
 * `up` part (run by `up`, safe while older nodes still run) and an optional `teardown` part (run by
 * `finish`, once no old node needs the old layout).
 */
import type { SqlSession } from '../sql/driver.ts';

export type MigrationDialect = 'sqlite' | 'postgres';

/** SQL per dialect (several statements allowed), or code for what SQL alone cannot do. */
export type MigrationPart =
  | Readonly<Record<MigrationDialect, string>>
  | ((session: SqlSession, dialect: MigrationDialect) => Promise<void>);

export interface Migration {
  /** `000_base`, `001_add_x`: three digits, then words; runs in list order. */
  readonly name: string;
  readonly up: MigrationPart;
  readonly teardown?: MigrationPart;
  /** Tables this migration creates, in creation order; `reset` drops them (and only them). */
  readonly tables: readonly string[];
}

export interface MigrationSubsystem {
  /** `core`, or a plugin's name. */
  readonly name: string;
  readonly migrations: readonly Migration[];
}

/** Subsystems in the order they run: `core` first. */
export type MigrationRegistry = readonly MigrationSubsystem[];

/** Migrations are named `<subsystem>:<migration>` (`core:000_base`, `<plugin>:000_base_<plugin>`). */
export interface MigrationState {
  bootstrapped: boolean;
  /** Fully run (up, and teardown when there is one). */
  executed: string[];
  /** Not run yet: `up` runs them. */
  pending: string[];
  /** `up` ran, the teardown waits for `finish`. Addition to the brief's shape. */
  awaitingFinish: string[];
}

export type MigrationErrorCode = 'not_bootstrapped' | 'already_bootstrapped' | 'pending_migrations' | 'invalid_registry';

/** A migration command cannot run, or a store cannot open because of the schema's state. */
export class MigrationError extends Error {
  code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string) {
    super(message);
    this.name = 'MigrationError';
    this.code = code;
  }
}
