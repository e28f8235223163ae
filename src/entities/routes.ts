/**
 * Routes: the matching rules (protocols, methods, hosts, paths, headers, SNIs, stream sources and
 * destinations) that send a request to a service. The protocols pick a subschema — HTTP, stream or gRPC —
 * which decides which matching fields are allowed and which one must be set.
 *
 * Under `router_flavor = expressions` the schema is Kong's expressions variant (`routesExpressionsSchema`):
 * it adds `expression` and `priority`, lets HTTP and gRPC routes set `sources`/`destinations`, counts
 * `expression` among the fields one of which must be set, and runs Kong's route check (an expression
 * excludes the traditional fields and must parse and type-check). The other flavors know neither field.
 */
import { expressionRouteError } from '../router/expressions/compile.ts';
import { defineEntity, typedefs, type EntityCheck, type EntityType, type SubschemaDef } from '../schema/index.ts';
import {
  routeDestinations,
  routeHeaders,
  routeHosts,
  routeMethods,
  routePaths,
  routeSources,
} from './route-fields.ts';

const HTTP_ONLY = "when 'protocols' is 'http' or 'https'";
const STREAM_ONLY = "when 'protocols' is 'tcp', 'tls', 'tls_passthrough' or 'udp'";
const GRPC_ONLY = "when 'protocols' is 'grpc' or 'grpcs'";

/** `expression` joins the "must set one of" lists under the expressions flavor. */
function withExpression(fields: string[], expressions: boolean): string[] {
  return expressions ? [...fields, 'expression'] : fields;
}

function httpSubschema(expressions: boolean): SubschemaDef {
  return {
  name: 'http',
  fields: expressions
    ? {}
    : {
        sources: { ...routeSources, eq: null, err: `cannot set 'sources' ${HTTP_ONLY}` },
        destinations: { ...routeDestinations, eq: null, err: `cannot set 'destinations' ${HTTP_ONLY}` },
      },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'https' },
        then_at_least_one_of: withExpression(['methods', 'hosts', 'headers', 'paths', 'snis'], expressions),
        then_err: "must set one of %s when 'protocols' is 'https'",
        else_match: { contains: 'http' },
        else_then_at_least_one_of: withExpression(['methods', 'hosts', 'headers', 'paths'], expressions),
        else_then_err: "must set one of %s when 'protocols' is 'http'",
      },
    },
  ],
  };
}

function streamSubschema(expressions: boolean): SubschemaDef {
  return {
  name: 'tcp',
  fields: {
    methods: { ...routeMethods, eq: null, err: `cannot set 'methods' ${STREAM_ONLY}` },
    hosts: { ...routeHosts, eq: null, err: `cannot set 'hosts' ${STREAM_ONLY}` },
    paths: { ...routePaths, eq: null, err: `cannot set 'paths' ${STREAM_ONLY}` },
    headers: { ...routeHeaders, eq: null, err: `cannot set 'headers' ${STREAM_ONLY}` },
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tcp', 'tls', 'udp'] } },
        then_at_least_one_of: withExpression(['sources', 'destinations', 'snis'], expressions),
        then_err: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
      },
    },
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tls_passthrough'] } },
        then_at_least_one_of: withExpression(['snis'], expressions),
        then_err: "must set snis when 'protocols' is 'tls_passthrough'",
      },
    },
  ],
  };
}

function grpcSubschema(expressions: boolean): SubschemaDef {
  return {
  name: 'grpc',
  fields: {
    strip_path: {
      type: 'boolean',
      required: true,
      default: false,
      ne: true,
      err: `cannot set 'strip_path' ${GRPC_ONLY}`,
    },
    methods: { ...routeMethods, eq: null, err: `cannot set 'methods' ${GRPC_ONLY}` },
    ...(expressions
      ? {}
      : {
          sources: { ...routeSources, eq: null, err: `cannot set 'sources' ${GRPC_ONLY}` },
          destinations: { ...routeSources, eq: null, err: `cannot set 'destinations' ${GRPC_ONLY}` },
        }),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'grpcs' },
        then_at_least_one_of: withExpression(['hosts', 'headers', 'paths', 'snis'], expressions),
        then_err: "must set one of %s when 'protocols' is 'grpcs'",
        else_match: { contains: 'grpc' },
        else_then_at_least_one_of: withExpression(['hosts', 'headers', 'paths'], expressions),
        else_then_err: "must set one of %s when 'protocols' is 'grpc'",
      },
    },
  ],
  };
}

const SNIS_PROTOCOLS_CHECK: EntityCheck = {
  conditional: {
    if_field: 'protocols',
    if_match: { elements: { type: 'string', not_one_of: ['grpcs', 'https', 'tls', 'tls_passthrough'] } },
    then_field: 'snis',
    then_match: { len_eq: 0 },
    then_err: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
  },
};

function subschemas(expressions: boolean): Record<string, SubschemaDef> {
  const http = httpSubschema(expressions);
  const stream = streamSubschema(expressions);
  const grpc = grpcSubschema(expressions);
  return { http, https: http, tcp: stream, tls: stream, udp: stream, tls_passthrough: stream, grpc, grpcs: grpc };
}

export const routesSchema = defineEntity({
  name: 'routes',
  primary_key: ['id'],
  endpoint_key: 'name',
  workspaceable: true,
  subschema_key: 'protocols',
  fields: {
    id: typedefs.uuid,
    created_at: typedefs.auto_timestamp_s,
    updated_at: typedefs.auto_timestamp_s,
    name: typedefs.utf8_name,
    protocols: {
      type: 'set',
      len_min: 1,
      required: true,
      elements: typedefs.protocol,
      mutually_exclusive_subsets: [['http', 'https'], ['tcp', 'tls', 'udp'], ['tls_passthrough'], ['grpc', 'grpcs']],
      default: ['http', 'https'],
      description: 'Protocols this route accepts.',
    },
    https_redirect_status_code: {
      type: 'integer',
      one_of: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
      description: 'Status sent when everything but the protocol matches (https required).',
    },
    strip_path: {
      type: 'boolean',
      required: true,
      default: true,
      description: 'Remove the matched path prefix from the upstream request path.',
    },
    preserve_host: {
      type: 'boolean',
      required: true,
      default: false,
      description: 'Send the client Host header upstream instead of the service host.',
    },
    request_buffering: { type: 'boolean', required: true, default: true, description: 'Buffer request bodies.' },
    response_buffering: { type: 'boolean', required: true, default: true, description: 'Buffer response bodies.' },
    tags: typedefs.tags,
    service: { type: 'foreign', reference: 'services', description: 'The service this route proxies to.' },
    // traditional_compatible (the default router flavour) accepts wildcard SNIs.
    snis: { type: 'set', elements: typedefs.wildcard_host, description: 'TLS server names matching this route.' },
    sources: routeSources,
    destinations: routeDestinations,
    methods: routeMethods,
    hosts: routeHosts,
    paths: routePaths,
    headers: routeHeaders,
    regex_priority: {
      type: 'integer',
      default: 0,
      description: 'Order among regex paths: higher is tried first.',
    },
    path_handling: {
      type: 'string',
      default: 'v0',
      one_of: ['v0', 'v1'],
      description: 'How the service path and the request path are joined upstream.',
    },
  },
  entity_checks: [SNIS_PROTOCOLS_CHECK],
  subschemas: subschemas(false),
});

export type Route = EntityType<typeof routesSchema>;

/** Kong's upper bound of `priority` (2^46 - 1). */
export const MAX_ROUTE_PRIORITY = 2 ** 46 - 1;

/** The routes schema under `router_flavor = expressions`. */
export const routesExpressionsSchema = defineEntity({
  ...routesSchema,
  fields: {
    ...routesSchema.fields,
    expression: { type: 'string', description: 'The route expression (expressions router flavor only).' },
    priority: {
      type: 'integer',
      between: [0, MAX_ROUTE_PRIORITY],
      required: true,
      default: 0,
      description: 'Order of evaluation among expression routes: higher first. Ignored unless `expression` is set.',
    },
  },
  entity_checks: [
    SNIS_PROTOCOLS_CHECK,
    {
      custom_entity_check: {
        field_sources: ['id', 'protocols', 'snis', 'sources', 'destinations', 'methods', 'hosts', 'paths', 'headers', 'expression', 'regex_priority', 'priority'],
        run_with_missing_fields: true,
        fn: (entity) => expressionRouteError(entity as Readonly<Record<string, unknown>>),
      },
    },
  ],
  subschemas: subschemas(true),
});
