/**
 * What one configuration key's definition holds, and `define` that freezes one; kept apart from the table
 * so that definitions can live in more than one file.
 */
import type { SettingName, SettingValues } from './settings-types.ts';
import type { ValueParser } from './value-parsers.ts';

/** How a value is written, for the reference documentation. */
export type SettingType =
  | 'string' | 'path' | 'boolean' | 'integer' | 'number' | 'enum' | 'list' | 'listeners' | 'size' | 'uuid' | 'pem';

export interface SettingDefinition<K extends SettingName = SettingName> {
  readonly name: K;
  readonly type: SettingType;
  /** The default as it would be written in tollgate.conf; '' means unset. */
  readonly default: string;
  readonly description: string;
  /** Hidden as `******` wherever settings are shown (GET /, logs). */
  readonly secret: boolean;
  /** For enums: the accepted values. */
  readonly values?: readonly string[];
  readonly parse: ValueParser<SettingValues[K]>;
}

/** A definition of any key (a union, so that `parse` stays tied to its key's type). */
export type AnySettingDefinition = { [K in SettingName]: SettingDefinition<K> }[SettingName];

export interface DefinitionInput<K extends SettingName> extends Omit<SettingDefinition<K>, 'secret'> {
  secret?: boolean;
}

export function define<K extends SettingName>(input: DefinitionInput<K>): SettingDefinition<K> {
  return Object.freeze({ ...input, secret: input.secret ?? false });
}
