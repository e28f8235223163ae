/**
 * The schema language: entity and field definitions written as plain data (Kong's attribute names, so the
 * Admin API's `GET /schemas/{entity}` view is the definition minus its functions), plus the type-level
 * inference that turns a definition declared with `defineSchema` into the TypeScript type of a validated
 * entity (`type Service = EntityType<typeof servicesSchema>`).
 */

export type FieldTypeName =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'array'
  | 'set'
  | 'map'
  | 'record'
  | 'foreign'
  | 'any';

export type Primitive = string | number | boolean;

/**
 * A field-level check beyond the declarative rules. Receives a value that already has the field's type
 * (a string for a string field, ...) and returns an error message, or null/undefined when the value is fine.
 * Typed with a `never` parameter so that `(value: string) => ...` can be written directly.
 */
export type CustomValidator = (value: never) => string | null | undefined;

/** One pattern with its own message (`match_all`, `match_none`). Patterns are JavaScript regex sources. */
export interface MatchRule {
  readonly pattern: string;
  readonly err: string;
}

/** Every attribute a field definition may carry. */
export interface FieldRules {
  readonly required?: boolean;
  readonly default?: unknown;
  readonly description?: string;
  /** Replaces the message of every failing validator of this field (not of the type check). */
  readonly err?: string;
  /** Filled in on insert when missing: a UUID (`uuid: true`), a timestamp (`timestamp: true`) or a random string. */
  readonly auto?: boolean;
  readonly uuid?: boolean;
  readonly timestamp?: boolean;
  readonly unique?: boolean;
  readonly unique_across_ws?: boolean;
  readonly immutable?: boolean;
  /** Accepted on input but not part of the stored entity (e.g. a certificate's `snis`). */
  readonly transient?: boolean;
  readonly referenceable?: boolean;
  readonly encrypted?: boolean;
  /** A placeholder that a subschema must specialise (plugin `config`). */
  readonly abstract?: boolean;
  readonly eq?: Primitive | null;
  readonly ne?: Primitive | null;
  readonly gt?: number;
  readonly between?: readonly [number, number];
  readonly one_of?: readonly Primitive[];
  readonly not_one_of?: readonly Primitive[];
  readonly len_eq?: number;
  readonly len_min?: number;
  readonly len_max?: number;
  readonly starts_with?: string;
  readonly match?: string;
  readonly not_match?: string;
  readonly match_all?: readonly MatchRule[];
  readonly match_none?: readonly MatchRule[];
  readonly match_any?: { readonly patterns: readonly string[]; readonly err?: string };
  readonly contains?: Primitive;
  readonly mutually_exclusive_subsets?: readonly (readonly string[])[];
  readonly custom_validator?: CustomValidator;
  /** array/set element definition. */
  readonly elements?: FieldDef;
  /** map key definition. */
  readonly keys?: FieldDef;
  /** map value definition. */
  readonly values?: FieldDef;
  /** record sub-fields, in order. */
  readonly fields?: FieldsDef;
  readonly entity_checks?: readonly EntityCheck[];
  /** foreign: the referenced collection. */
  readonly reference?: string;
  readonly on_delete?: 'cascade' | 'restrict';
}

export interface FieldDef extends FieldRules {
  readonly type: FieldTypeName;
}

export type FieldsDef = { readonly [name: string]: FieldDef };

/** Partial field rules used by conditional checks; missing attributes are taken from the field itself. */
export interface MatchSpec extends FieldRules {
  readonly type?: FieldTypeName;
}

/** The entity as entity checks see it: every field filled (defaults applied). */
export type EntityView = Readonly<Record<string, unknown>>;

export type EntityCheck =
  | { readonly at_least_one_of: readonly string[] }
  | { readonly only_one_of: readonly string[] }
  | { readonly distinct: readonly string[] }
  | { readonly mutually_required: readonly string[] }
  | { readonly mutually_exclusive: readonly string[] }
  | { readonly mutually_exclusive_sets: { readonly set1: readonly string[]; readonly set2: readonly string[] } }
  | {
      readonly conditional: {
        readonly if_field: string;
        readonly if_match: MatchSpec;
        readonly then_field: string;
        readonly then_match: MatchSpec;
        readonly then_err?: string;
      };
    }
  | {
      readonly conditional_at_least_one_of: {
        readonly if_field: string;
        readonly if_match: MatchSpec;
        readonly then_at_least_one_of: readonly string[];
        readonly then_err?: string;
        readonly else_match?: MatchSpec;
        readonly else_then_at_least_one_of?: readonly string[];
        readonly else_then_err?: string;
      };
    }
  | {
      readonly custom_entity_check: {
        readonly field_sources: readonly string[];
        /** Returns an `@entity` message, or null/undefined when the entity is fine. */
        readonly fn: (entity: EntityView) => string | null | undefined;
        readonly run_with_missing_fields?: boolean;
        readonly run_with_invalid_fields?: boolean;
      };
    };

/**
 * An input-only field that expands into real fields before validation (services `url`). `func` receives
 * the value after it passed the shorthand's own field rules.
 */
export interface ShorthandDef extends FieldDef {
  readonly func: (value: never) => Readonly<Record<string, unknown>> | null | undefined;
}

/** Fields and checks that replace or extend the base schema when the subschema key selects them. */
export interface SubschemaDef {
  readonly name?: string;
  readonly fields: FieldsDef;
  readonly entity_checks?: readonly EntityCheck[];
}

/** A record schema: an entity, a plugin configuration, a nested structure. */
export interface SchemaDef {
  readonly name?: string;
  readonly fields: FieldsDef;
  readonly entity_checks?: readonly EntityCheck[];
  readonly shorthand_fields?: { readonly [name: string]: ShorthandDef };
  /** Field whose value picks a subschema (routes: `protocols`, plugins: `name`). */
  readonly subschema_key?: string;
  /** Message when no subschema matches; `%s` is the key value. Default `unknown type: %s`. */
  readonly subschema_error?: string;
  readonly subschemas?: { readonly [key: string]: SubschemaDef };
  /** Accept and keep a `ttl` number on input (credentials that expire). */
  readonly ttl?: boolean;
}

/** An entity schema: a record schema plus what the store, Admin API and declarative loader need. */
export interface EntitySchemaDef extends SchemaDef {
  readonly name: string;
  readonly primary_key: readonly string[];
  readonly endpoint_key?: string;
  readonly cache_key?: readonly string[];
  readonly admin_api_name?: string;
  readonly admin_api_nested_name?: string;
  readonly workspaceable?: boolean;
  /**
   * The endpoint key is a secret (an API key): the audit log shows `******` where a path addresses an
   * entity by it. Tollgate addition; not part of Kong's schema view.
   */
  readonly secret_endpoint_key?: boolean;
  /**
   * False for data that is no configuration (Kong's `db_export = false`): rows written while serving, such as
   * oauth2's codes, stay in the database and out of exports, snapshots and pushes to data planes.
   */
  readonly db_export?: boolean;
  /**
   * False for rows that `config db_export` writes (Kong exports them) but that are not part of the live
   * configuration a node with a database compiles and pushes: rows written per request (oauth2 tokens), whose
   * writes and expiries would otherwise each rebuild every worker's configuration. Tollgate addition.
   */
  readonly live_config?: boolean;
  /** False for entities the Admin API does not serve (Kong's `generate_admin_api = false`: oauth2's codes). */
  readonly generate_admin_api?: boolean;
  /**
   * Write-time transformations (Kong's `transformations`): basic-auth hashes a password. Run by Admin API
   * writes that set one of `input`, and by every declarative load.
   */
  readonly transformations?: readonly EntityTransformation[];
}

/** One write-time transformation of an entity (Kong's `on_write`). */
export interface EntityTransformation {
  /** Fields whose presence in an Admin API write runs it. */
  readonly input: readonly string[];
  /**
   * Returns the fields to replace, given the validated entity. `transform` is false when the source says its
   * values are already transformed (a declarative file with `_transform: false`, such as an export).
   */
  readonly on_write: (entity: EntityView, options: { readonly transform: boolean }) => Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------------------
// Error trees

/**
 * A validation error: a message, a tree for records (`@entity` holds entity-level messages), or an array
 * mirroring an array input with null at valid positions.
 */
export type ErrorNode = string | ErrorTree | readonly (ErrorNode | null)[];

export interface ErrorTree {
  readonly [field: string]: ErrorNode;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: ErrorTree };

// ---------------------------------------------------------------------------------------------------------
// Type-level inference

export interface ForeignKey {
  id: string;
}

type ScalarOf<F, Base> = F extends { readonly one_of: readonly (infer U)[] } ? (U extends Base ? U : Base) : Base;

/** The value type of a field when it is set (not null). */
export type FieldBaseValue<F> = F extends { readonly type: 'string' }
  ? ScalarOf<F, string>
  : F extends { readonly type: 'integer' | 'number' }
    ? ScalarOf<F, number>
    : F extends { readonly type: 'boolean' }
      ? boolean
      : F extends { readonly type: 'array' | 'set'; readonly elements: infer E }
        ? FieldBaseValue<E>[]
        : F extends { readonly type: 'map'; readonly values: infer V }
          ? Record<string, FieldBaseValue<V>>
          : F extends { readonly type: 'record'; readonly fields: infer R }
            ? RecordValue<R>
            : F extends { readonly type: 'record' }
              ? Record<string, unknown>
              : F extends { readonly type: 'foreign' }
                ? ForeignKey
                : unknown;

/**
 * Whether a validated entity can hold null in this field: required fields, fields with a non-null default,
 * auto fields and records (required unless `required: false`) are always set.
 */
type IsAlwaysSet<F> = F extends { readonly eq: null }
  ? false
  : F extends { readonly required: true }
    ? true
    : F extends { readonly auto: true }
      ? true
      : F extends { readonly default: null }
        ? false
        : F extends { readonly default: unknown }
          ? true
          : F extends { readonly type: 'record' }
            ? F extends { readonly required: false }
              ? false
              : true
            : false;

/** The value type of a field in a validated entity. */
export type FieldValue<F> = F extends { readonly eq: null }
  ? null
  : IsAlwaysSet<F> extends true
    ? FieldBaseValue<F>
    : FieldBaseValue<F> | null;

/** A validated record: every declared, non-transient field present. */
export type RecordValue<R> = {
  -readonly [K in keyof R as R[K] extends { readonly transient: true } ? never : K]: FieldValue<R[K]>;
};

/** The TypeScript type of a validated entity declared with {@link defineSchema}. */
export type EntityType<S extends { readonly fields: FieldsDef }> = RecordValue<S['fields']>;

/**
 * Declares a schema while keeping its literal types, so that {@link EntityType} can infer field types,
 * enums (`one_of`) and nullability from it.
 */
export function defineSchema<const S extends SchemaDef>(schema: S): S {
  return schema;
}

/** {@link defineSchema} for entity schemas (name, primary key, endpoint key, ...). */
export function defineEntity<const S extends EntitySchemaDef>(schema: S): S {
  return schema;
}

/** Declares a reusable field definition (typedef) keeping its literal types. */
export function defineField<const F extends FieldDef>(field: F): F {
  return field;
}
