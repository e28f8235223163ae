/**
 * The router: compiles the routes of one configuration once, then matches requests against them.
 *
 * ```ts
 * const router = buildRouter(entries, { flavor: 'traditional_compatible' }); // or 'traditional', 'expressions'
 * const result = router.match(input); // null means 404 "no Route matched with those values"
 * ```
 */
import { normalizePath } from '../core/uri.ts';
import { CompatibleMatcher, type RouteMatchCalculation } from './compatible.ts';
import { buildMatchResult } from './match-result.ts';
import { RequestView } from './request-view.ts';
import { TraditionalMatcher } from './traditional.ts';
import { expressionMatchResult } from './expressions/result.ts';
import { ExpressionsMatcher } from './expressions/matcher.ts';
import { ExpressionRequest } from './expressions/request.ts';
import type { MatchInput, MatchResult, Router, RouterEntry, RouterFlavor } from './types.ts';

export type { MatchInput, MatchResult, Router, RouterEntry, RouterFlavor, RouterRoute } from './types.ts';
export type { RouteMatchCalculation } from './compatible.ts';
export { buildUpstreamPath, sanitizePostfix } from './upstream-path.ts';

export interface RouterOptions {
  flavor: RouterFlavor;
  /** traditional_compatible only: Kong's `route_match_calculation` (default `strict`, the documented order). */
  routeMatchCalculation?: RouteMatchCalculation;
  /**
   * expressions only: called for a route whose expression does not compile, which is then left out (as Kong
   * logs and skips it). Without it such a route throws, like an invalid route of the other flavors.
   */
  onRouteError?: (message: string) => void;
}

class TraditionalRouter<T> implements Router<T> {
  readonly matcher: TraditionalMatcher<T>;
  readonly view = new RequestView();

  constructor(entries: RouterEntry<T>[]) {
    this.matcher = new TraditionalMatcher(entries);
  }

  match(input: MatchInput): MatchResult<T> | null {
    const view = this.view;
    view.reset(input, normalizePath(input.rawPath));
    view.splitHostTraditional();
    const entry = this.matcher.find(view);
    return entry === null ? null : buildMatchResult(entry, view.path);
  }
}

class CompatibleRouter<T> implements Router<T> {
  readonly matcher: CompatibleMatcher<T>;
  readonly view = new RequestView();

  constructor(entries: RouterEntry<T>[], calculation: RouteMatchCalculation) {
    this.matcher = new CompatibleMatcher(entries, calculation);
  }

  match(input: MatchInput): MatchResult<T> | null {
    const view = this.view;
    view.reset(input, normalizePath(input.rawPath));
    view.splitHostCompatible(input.listenerPort);
    const entry = this.matcher.find(view);
    return entry === null ? null : buildMatchResult(entry, view.path);
  }
}

class ExpressionsRouter<T> implements Router<T> {
  readonly matcher: ExpressionsMatcher<T>;
  readonly view = new RequestView();
  readonly request = new ExpressionRequest();

  constructor(entries: RouterEntry<T>[], calculation: RouteMatchCalculation, onRouteError: (message: string) => void) {
    this.matcher = new ExpressionsMatcher(entries, calculation, onRouteError);
  }

  match(input: MatchInput): MatchResult<T> | null {
    const view = this.view;
    view.reset(input, normalizePath(input.rawPath));
    view.splitHostCompatible(input.listenerPort);
    this.request.reset(view, input);
    const route = this.matcher.find(view, this.request);
    return route === null ? null : expressionMatchResult(route.source, view.path, this.matcher.record);
  }
}

function throwRouteError(message: string): never {
  throw new Error(message);
}

/**
 * Compiles `entries` into a router for the given Kong router flavor. All indexing, sorting and regex
 * compilation happens here, once per configuration; `match` only looks things up.
 *
 * Routes whose protocols are all stream protocols (tcp, tls, udp, tls_passthrough) are left out.
 * Throws an Error naming the route when a route sets no matching field or has a regex that does not
 * compile (the schema rejects both, so this signals data that skipped validation).
 */
export function buildRouter<T>(entries: RouterEntry<T>[], options: RouterOptions): Router<T> {
  switch (options.flavor) {
    case 'traditional':
      return new TraditionalRouter(entries);
    case 'traditional_compatible':
      return new CompatibleRouter(entries, options.routeMatchCalculation ?? 'strict');
    case 'expressions':
      return new ExpressionsRouter(entries, options.routeMatchCalculation ?? 'strict', options.onRouteError ?? throwRouteError);
    default:
      throw new Error(`unknown router flavor '${String(options.flavor)}': use 'traditional', 'traditional_compatible' or 'expressions'`);
  }
}
