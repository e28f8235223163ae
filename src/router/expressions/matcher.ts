/**
 * The `expressions` router flavor: every HTTP route becomes one compiled expression (its own, or Kong's
 * translation of its traditional fields, one per path group), ranked once per configuration; a request
 * goes to the first route in rank order whose expression holds.
 *
 * To avoid evaluating every route, each route is filed under a condition its expression cannot hold
 * without: a top-level `&&` term `http.host == "..."`, `http.path == "..."`, `http.path ^= "..."` or
 * `http.method == "..."` (or an `||` of such terms on one field). A request only looks at the routes filed
 * under its own host, path, path prefixes and method, plus the routes with no such condition, and walks
 * those lists merged in rank order, so the answer is the same as trying every route in order. A large
 * bucket (many routes on one host) is filed again by the routes' next condition (their paths).
 */
import { groupPaths, uuidV5 } from '../compatible.ts';
import { isHttpRoute } from '../compiled-entry.ts';
import { RadixTrie, type RadixNode } from '../radix-trie.ts';
import type { RequestView } from '../request-view.ts';
import type { RouterEntry, RouterRoute } from '../types.ts';
import type { Expression } from './ast.ts';
import { checkExpression } from './compile.ts';
import { compileEvaluator, hasCapturingRegex, MatchRecord, type Evaluator } from './evaluate.ts';
import type { ExpressionRequest } from './request.ts';
import {
  amendExpression,
  compareOriginal,
  compareStrict,
  expressionRankKeys,
  traditionalExpression,
  traditionalRankKeys,
  type RankKeys,
  type TraditionalFields,
} from './transform.ts';

/** Kong's namespace for the ids of the parts of a split route. */
const SPLIT_ROUTE_NAMESPACE = '7f145bf9-0dce-4f91-98eb-debbce4b9f6b';

export interface ExpressionRoute<T> {
  rank: number;
  source: RouterEntry<T>;
  evaluate: Evaluator;
  /** Schemes the route's protocols allow (`net.protocol`), or null when any will do. */
  schemes: ReadonlySet<string> | null;
}

/** A condition a route needs, for filing it: one field, any of some values. */
interface Requirement {
  kind: 'host' | 'pathExact' | 'pathPrefix' | 'method';
  values: string[];
  /** Prefix requirements may mix in exact paths (`http.path == "/a" || http.path ^= "/b/"`). */
  exact?: string[];
}

/** Fields of the route entity the expressions flavor reads beyond RouterRoute. */
export type ExpressionRouterRoute = RouterRoute & TraditionalFields & { expression?: string | null; priority?: number | null };

const PROTOCOL_SCHEME: Readonly<Record<string, string>> = { http: 'http', https: 'https', grpc: 'http', grpcs: 'https' };

/** Kong adds `net.protocol` for the route's protocols, except for a lone `https` (so it can redirect). */
function schemesOf(protocols: readonly string[]): ReadonlySet<string> | null {
  if (protocols.length === 1 && protocols[0] === 'https') return null;
  const schemes = new Set<string>();
  for (const protocol of protocols) {
    const scheme = PROTOCOL_SCHEME[protocol];
    if (scheme !== undefined) schemes.add(scheme);
  }
  return schemes.has('http') && schemes.has('https') ? null : schemes;
}

function conjuncts(expression: Expression, out: Expression[]): Expression[] {
  if (expression.kind === 'and') {
    conjuncts(expression.left, out);
    conjuncts(expression.right, out);
  } else {
    out.push(expression);
  }
  return out;
}

/** The leaves of an `||` tree, or null when one of them is not a plain `field op "string"` predicate. */
function alternatives(expression: Expression, out: Array<{ field: string; op: string; value: string }>): boolean {
  if (expression.kind === 'or') return alternatives(expression.left, out) && alternatives(expression.right, out);
  if (expression.kind !== 'predicate' || expression.lower || expression.rhs.type !== 'String') return false;
  out.push({ field: expression.field, op: expression.op, value: expression.rhs.value });
  return true;
}

/**
 * The conditions among the top-level terms a route cannot match without, most selective first: host,
 * then path (exact paths preferred over prefixes), then method. Empty when there is none.
 */
export function requirementsOf(expression: Expression): Requirement[] {
  let host: Requirement | undefined;
  let path: Requirement | undefined;
  let method: Requirement | undefined;
  for (const term of conjuncts(expression, [])) {
    const leaves: Array<{ field: string; op: string; value: string }> = [];
    if (!alternatives(term, leaves) || leaves.length === 0) continue;
    const field = leaves[0].field;
    if (!leaves.every((leaf) => leaf.field === field)) continue;
    if (field === 'http.host' && leaves.every((leaf) => leaf.op === '==')) {
      host ??= { kind: 'host', values: leaves.map((leaf) => leaf.value) };
    } else if (field === 'http.method' && leaves.every((leaf) => leaf.op === '==')) {
      method ??= { kind: 'method', values: leaves.map((leaf) => leaf.value) };
    } else if (field === 'http.path' && leaves.every((leaf) => leaf.op === '==' || leaf.op === '^=')) {
      const exact = leaves.filter((leaf) => leaf.op === '==').map((leaf) => leaf.value);
      const prefixes = leaves.filter((leaf) => leaf.op === '^=').map((leaf) => leaf.value);
      const requirement: Requirement =
        prefixes.length === 0 ? { kind: 'pathExact', values: exact } : { kind: 'pathPrefix', values: prefixes, exact };
      if (path === undefined || (path.kind === 'pathPrefix' && requirement.kind === 'pathExact')) path = requirement;
    }
  }
  return [host, path, method].filter((requirement): requirement is Requirement => requirement !== undefined);
}

function pushTo<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

function describe(route: RouterRoute): string {
  return route.name === null ? `route ${route.id}` : `route ${route.id} (${route.name})`;
}

interface Candidate<T> {
  route: ExpressionRoute<T>;
  keys: RankKeys;
  expression: Expression;
}

export type RankOrder = 'original' | 'strict';

/**
 * Compiles the HTTP routes. A route whose expression does not compile is left out and reported through
 * `onError` (Kong logs it and builds the router without it); stream-only routes are left out.
 */
export function compileExpressionRoutes<T>(
  entries: readonly RouterEntry<T>[],
  order: RankOrder,
  onError: (message: string) => void,
): Array<{ route: ExpressionRoute<T>; expression: Expression }> {
  const candidates: Candidate<T>[] = [];
  const add = (source: RouterEntry<T>, text: string, keys: RankKeys): void => {
    const route = source.route as ExpressionRouterRoute;
    const checked = checkExpression(text, 'http');
    if (!checked.ok) {
      onError(`${describe(route)}: could not compile its expression: ${checked.message}`);
      return;
    }
    const expression = checked.expression;
    const evaluate = compileEvaluator(expression, hasCapturingRegex(expression));
    const compiled: ExpressionRoute<T> = { rank: 0, source, evaluate, schemes: schemesOf(route.protocols) };
    candidates.push({ route: compiled, keys, expression });
  };
  for (const source of entries) {
    const route = source.route as ExpressionRouterRoute;
    if (!isHttpRoute(route)) continue;
    if (typeof route.expression === 'string') {
      add(source, amendExpression(route.expression), expressionRankKeys(route));
      continue;
    }
    const paths = route.paths;
    const groups = paths === null || paths.length === 0 ? [null] : groupPaths(paths);
    groups.forEach((group, index) => {
      const text = traditionalExpression(route, group);
      if (text === '') {
        onError(`${describe(route)}: sets neither 'expression' nor a matching field; it can match nothing`);
        return;
      }
      const tieId = groups.length === 1 ? route.id : uuidV5(SPLIT_ROUTE_NAMESPACE, `${route.id}#${index + 1}`);
      add(source, text, traditionalRankKeys(route, group, tieId));
    });
  }
  candidates.sort(order === 'strict' ? (a, b) => compareStrict(a.keys, b.keys) : (a, b) => compareOriginal(a.keys, b.keys));
  return candidates.map(({ route, expression }, rank) => {
    route.rank = rank;
    return { route, expression };
  });
}

/** Buckets up to this size are scanned; indexing them again costs more than it saves. */
const SCAN_LIMIT = 8;

type Group = 'host' | 'path' | 'method';

function groupOf(requirement: Requirement): Group {
  return requirement.kind === 'host' ? 'host' : requirement.kind === 'method' ? 'method' : 'path';
}

interface Filed<T> {
  route: ExpressionRoute<T>;
  requirements: Requirement[];
}

/** Routes (or a nested index of them) that share one key. */
type Bucket<T> = ExpressionRoute<T>[] | RouteIndex<T>;

/**
 * One level of the index: routes filed by the first of their conditions whose field this level's parents
 * have not used; a large bucket is indexed again on the routes' next condition (the tenants of one host by
 * path, say). Every list is in rank order.
 */
class RouteIndex<T> {
  readonly byHost = new Map<string, Bucket<T>>();
  readonly byPath = new Map<string, Bucket<T>>();
  readonly byPrefix = new RadixTrie<Bucket<T>>();
  readonly byMethod = new Map<string, Bucket<T>>();
  readonly rest: ExpressionRoute<T>[] = [];

  constructor(filed: readonly Filed<T>[], used: ReadonlySet<Group>) {
    const hosts = new Map<string, Filed<T>[]>();
    const paths = new Map<string, Filed<T>[]>();
    const prefixes = new Map<string, Filed<T>[]>();
    const methods = new Map<string, Filed<T>[]>();
    for (const item of filed) {
      const requirement = item.requirements.find((candidate) => !used.has(groupOf(candidate)));
      if (requirement === undefined) {
        this.rest.push(item.route);
        continue;
      }
      switch (requirement.kind) {
        case 'host':
          for (const host of requirement.values) pushTo(hosts, host, item);
          break;
        case 'method':
          for (const method of requirement.values) pushTo(methods, method, item);
          break;
        case 'pathExact':
          for (const path of requirement.values) pushTo(paths, path, item);
          break;
        case 'pathPrefix':
          for (const path of requirement.exact ?? []) pushTo(paths, path, item);
          for (const prefix of requirement.values) pushTo(prefixes, prefix, item);
          break;
      }
    }
    const bucket = (items: Filed<T>[], group: Group): Bucket<T> => {
      if (items.length <= SCAN_LIMIT) return items.map((item) => item.route);
      const next = new Set(used).add(group);
      if (!items.some((item) => item.requirements.some((candidate) => !next.has(groupOf(candidate))))) return items.map((item) => item.route);
      return new RouteIndex(items, next);
    };
    for (const [key, items] of hosts) this.byHost.set(key, bucket(items, 'host'));
    for (const [key, items] of paths) this.byPath.set(key, bucket(items, 'path'));
    for (const [key, items] of prefixes) this.byPrefix.set(key, bucket(items, 'path'));
    for (const [key, items] of methods) this.byMethod.set(key, bucket(items, 'method'));
  }

  /** Appends the candidate lists for a request to `lists`. */
  collect(view: RequestView, lists: Array<readonly ExpressionRoute<T>[]>): void {
    if (view.hasHost && this.byHost.size > 0) {
      const found = this.byHost.get(view.compatHost);
      if (found !== undefined) add(found, view, lists);
    }
    if (this.byPath.size > 0) {
      const found = this.byPath.get(view.path);
      if (found !== undefined) add(found, view, lists);
    }
    if (this.byPrefix.size > 0) {
      const path = view.path;
      let node: RadixNode<Bucket<T>> = this.byPrefix.root;
      let offset = 0;
      if (node.value !== null) add(node.value, view, lists);
      while (offset < path.length && node.children !== null) {
        const child = node.children.get(path.charCodeAt(offset));
        if (child === undefined || !path.startsWith(child.label, offset)) break;
        offset += child.label.length;
        node = child;
        if (node.value !== null) add(node.value, view, lists);
      }
    }
    if (this.byMethod.size > 0) {
      const found = this.byMethod.get(view.method);
      if (found !== undefined) add(found, view, lists);
    }
    if (this.rest.length > 0) lists.push(this.rest);
  }
}

function add<T>(bucket: Bucket<T>, view: RequestView, lists: Array<readonly ExpressionRoute<T>[]>): void {
  if (Array.isArray(bucket)) lists.push(bucket);
  else (bucket as RouteIndex<T>).collect(view, lists);
}

/** The compiled, indexed routes of one configuration. */
export class ExpressionsMatcher<T> {
  readonly size: number;
  readonly index: RouteIndex<T>;
  readonly record = new MatchRecord();
  // Scratch for the merge: the candidate lists of one request and a position in each.
  readonly #lists: Array<readonly ExpressionRoute<T>[]> = [];
  readonly #positions: number[] = [];

  constructor(entries: readonly RouterEntry<T>[], order: RankOrder, onError: (message: string) => void) {
    const compiled = compileExpressionRoutes(entries, order, onError);
    this.size = compiled.length;
    this.index = new RouteIndex(
      compiled.map(({ route, expression }) => ({ route, requirements: requirementsOf(expression) })),
      new Set(),
    );
  }

  /** The first route in rank order that matches; its record is left in `this.record`. */
  find(view: RequestView, request: ExpressionRequest): ExpressionRoute<T> | null {
    const lists = this.#lists;
    lists.length = 0;
    this.index.collect(view, lists);
    const positions = this.#positions;
    const count = lists.length;
    for (let index = 0; index < count; index++) positions[index] = 0;
    const record = this.record;
    const scheme = view.scheme;
    let lastRank = -1;
    for (;;) {
      // The next route in rank order across the lists.
      let best: ExpressionRoute<T> | null = null;
      let bestList = -1;
      for (let index = 0; index < count; index++) {
        const list = lists[index];
        const position = positions[index];
        if (position >= list.length) continue;
        const route = list[position];
        if (best === null || route.rank < best.rank) {
          best = route;
          bestList = index;
        }
      }
      if (best === null) return null;
      positions[bestList]++;
      // A route filed under several matching keys comes up once per list; try it once.
      if (best.rank === lastRank) continue;
      lastRank = best.rank;
      if (best.schemes !== null && !best.schemes.has(scheme)) continue;
      record.reset();
      if (best.evaluate(request, record)) return best;
    }
  }
}
