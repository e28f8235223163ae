/**
 * Routes: the matching rules (protocols, methods, hosts, paths, headers, SNIs, stream sources and
 * destinations) that send a request to a service. The protocols pick a subschema — HTTP, stream or gRPC —
 * which decides which matching fields are allowed and which one must be set.
 */
import { defineEntity, typedefs, type EntityType, type SubschemaDef } from '../schema/index.ts';
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

const httpSubschema: SubschemaDef = {
  name: 'http',
  fields: {
    sources: { ...routeSources, eq: null, err: `cannot set 'sources' ${HTTP_ONLY}` },
    destinations: { ...routeDestinations, eq: null, err: `cannot set 'destinations' ${HTTP_ONLY}` },
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'https' },
        then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'https'",
        else_match: { contains: 'http' },
        else_then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'http'",
      },
    },
  ],
};

const streamSubschema: SubschemaDef = {
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
        then_at_least_one_of: ['sources', 'destinations', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
      },
    },
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tls_passthrough'] } },
        then_at_least_one_of: ['snis'],
        then_err: "must set snis when 'protocols' is 'tls_passthrough'",
      },
    },
  ],
};

const grpcSubschema: SubschemaDef = {
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
    sources: { ...routeSources, eq: null, err: `cannot set 'sources' ${GRPC_ONLY}` },
    destinations: { ...routeSources, eq: null, err: `cannot set 'destinations' ${GRPC_ONLY}` },
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'grpcs' },
        then_at_least_one_of: ['hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'grpcs'",
        else_match: { contains: 'grpc' },
        else_then_at_least_one_of: ['hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'grpc'",
      },
    },
  ],
};

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
  entity_checks: [
    {
      conditional: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', not_one_of: ['grpcs', 'https', 'tls', 'tls_passthrough'] } },
        then_field: 'snis',
        then_match: { len_eq: 0 },
        then_err: "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
      },
    },
  ],
  subschemas: {
    http: httpSubschema,
    https: httpSubschema,
    tcp: streamSubschema,
    tls: streamSubschema,
    udp: streamSubschema,
    tls_passthrough: streamSubschema,
    grpc: grpcSubschema,
    grpcs: grpcSubschema,
  },
});

export type Route = EntityType<typeof routesSchema>;
