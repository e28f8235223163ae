/**
 * Compiles the value rules of a field (`one_of`, `between`, `len_min`, `match`, ...) into one function,
 * run after the type check. Rules run in Kong's order and the first failure wins, so the message a client
 * sees for a value breaking several rules is the one Kong would give.
 */
import type { FieldDef, Primitive } from './types.ts';
import {
  MSG,
  betweenMessage,
  containsMessage,
  eqMessage,
  failedValidatingMessage,
  gtMessage,
  invalidValueMessage,
  lenEqMessage,
  lenMaxMessage,
  lenMinMessage,
  mutuallyExclusiveSetsMessage,
  neMessage,
  notOneOfMessage,
  oneOfMessage,
  startsWithMessage,
} from './messages.ts';

/** Returns an error message, or undefined when the value passes. */
export type ValueRule = (value: unknown) => string | undefined;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID text (any version, case-insensitive), as Kong's `uuid` rule accepts. */
export function isUuid(value: string): boolean {
  return value.length === 36 && UUID_PATTERN.test(value);
}

/** Length as Kong measures it: bytes for strings, elements for arrays, entries for maps. */
function lengthOf(value: unknown): number {
  if (typeof value === 'string') {
    // Lua counts bytes; only non-ASCII text needs the slower count.
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0x7f) return Buffer.byteLength(value, 'utf8');
    }
    return value.length;
  }
  if (Array.isArray(value)) return value.length;
  if (value !== null && typeof value === 'object') return Object.keys(value).length;
  return 0;
}

function compilePattern(source: string): RegExp {
  return new RegExp(source, 'u');
}

/**
 * Builds the rule chain of a field. `implicitLenMin` is Kong's "strings must not be empty unless the field
 * says otherwise". Returns null when the field has no rules, so the caller can skip the call entirely.
 */
export function compileValueRules(def: FieldDef): ValueRule | null {
  const rules: ValueRule[] = [];
  const hasOwn = (key: keyof FieldDef): boolean => Object.prototype.hasOwnProperty.call(def, key);

  if (hasOwn('eq') && def.eq !== null && def.eq !== undefined) {
    const wanted = def.eq;
    rules.push((v) => (v === wanted ? undefined : eqMessage(wanted)));
  }
  if (hasOwn('ne') && def.ne !== null && def.ne !== undefined) {
    const unwanted = def.ne;
    rules.push((v) => (v !== unwanted ? undefined : neMessage(v)));
  }
  if (def.not_one_of) {
    const options = def.not_one_of;
    const set = new Set<unknown>(options);
    const message = notOneOfMessage(options);
    rules.push((v) => (set.has(v) ? message : undefined));
  }
  if (def.one_of) {
    const options = def.one_of;
    const set = new Set<unknown>(options);
    const message = oneOfMessage(options);
    rules.push((v) => (set.has(v) ? undefined : message));
  }
  if (def.gt !== undefined) {
    const limit = def.gt;
    rules.push((v) => ((v as number) > limit ? undefined : gtMessage(limit)));
  }
  if (def.timestamp) {
    rules.push((v) => ((v as number) > 0 ? undefined : MSG.TIMESTAMP));
  }
  if (def.uuid) {
    rules.push((v) => (isUuid(v as string) ? undefined : MSG.UUID));
  }
  if (def.between) {
    const [min, max] = def.between;
    const message = betweenMessage(min, max);
    rules.push((v) => ((v as number) < min || (v as number) > max ? message : undefined));
  }
  const lenMin = def.len_min ?? (def.type === 'string' ? 1 : undefined);
  if (def.len_eq !== undefined) {
    const n = def.len_eq;
    rules.push((v) => (lengthOf(v) === n ? undefined : lenEqMessage(n)));
  }
  if (lenMin !== undefined && lenMin > 0) {
    const n = lenMin;
    const message = lenMinMessage(n);
    if (def.type === 'string' && n === 1) {
      rules.push((v) => ((v as string).length === 0 ? message : undefined));
    } else {
      rules.push((v) => (lengthOf(v) >= n ? undefined : message));
    }
  }
  if (def.len_max !== undefined) {
    const n = def.len_max;
    rules.push((v) => (lengthOf(v) <= n ? undefined : lenMaxMessage(n)));
  }
  if (def.starts_with !== undefined) {
    const prefix = def.starts_with;
    const message = startsWithMessage(prefix);
    rules.push((v) => ((v as string).startsWith(prefix) ? undefined : message));
  }
  if (def.not_match !== undefined) {
    const re = compilePattern(def.not_match);
    rules.push((v) => (re.test(v as string) ? invalidValueMessage(v) : undefined));
  }
  if (def.match_none) {
    const list = def.match_none.map((rule) => ({ re: compilePattern(rule.pattern), err: rule.err }));
    rules.push((v) => {
      for (const rule of list) if (rule.re.test(v as string)) return rule.err ?? invalidValueMessage(v);
      return undefined;
    });
  }
  if (def.match !== undefined) {
    const re = compilePattern(def.match);
    rules.push((v) => (re.test(v as string) ? undefined : invalidValueMessage(v)));
  }
  if (def.match_all) {
    const list = def.match_all.map((rule) => ({ re: compilePattern(rule.pattern), err: rule.err }));
    rules.push((v) => {
      for (const rule of list) if (!rule.re.test(v as string)) return rule.err ?? invalidValueMessage(v);
      return undefined;
    });
  }
  if (def.match_any) {
    const patterns = def.match_any.patterns.map(compilePattern);
    const err = def.match_any.err;
    rules.push((v) => {
      for (const re of patterns) if (re.test(v as string)) return undefined;
      return err ?? invalidValueMessage(v);
    });
  }
  if (def.contains !== undefined) {
    const wanted = def.contains;
    rules.push((v) => ((v as unknown[]).includes(wanted) ? undefined : containsMessage(wanted)));
  }
  if (def.custom_validator) {
    const fn = def.custom_validator as (value: unknown) => string | null | undefined;
    rules.push((v) => {
      const result = fn(v);
      return result === null || result === undefined ? undefined : result || failedValidatingMessage(v);
    });
  }
  if (def.mutually_exclusive_subsets) {
    const subsets = def.mutually_exclusive_subsets;
    const owner = new Map<Primitive, readonly string[]>();
    for (const subset of subsets) for (const item of subset) owner.set(item, subset);
    rules.push((v) => {
      const memberOf: (readonly string[])[] = [];
      for (const item of v as Primitive[]) {
        const subset = owner.get(item);
        if (subset && !memberOf.includes(subset)) memberOf.push(subset);
      }
      return memberOf.length <= 1 ? undefined : mutuallyExclusiveSetsMessage(memberOf);
    });
  }

  if (rules.length === 0) return null;
  const override = def.err;
  if (rules.length === 1) {
    const only = rules[0];
    return override === undefined ? only : (v) => (only(v) === undefined ? undefined : override);
  }
  return (v) => {
    for (let i = 0; i < rules.length; i++) {
      const err = rules[i](v);
      if (err !== undefined) return override ?? err;
    }
    return undefined;
  };
}
