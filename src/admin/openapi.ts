/**
 * The Admin API described as an OpenAPI 3.1 document, generated from the route table (the same paths
 * `GET /endpoints` lists) and the entity schemas (`toJsonSchema`), so that the description cannot drift
 * from what the server does. Served at `GET /openapi.json` and checked in as `docs/openapi.json`
 * (`npm run docs:openapi` regenerates it).
 */
import { VERSION } from '../core/version.ts';
import { ENTITIES, ENTITY_ORDER, type EntityMeta, type EntityName, type ForeignKeyMeta } from '../entities/index.ts';
import { toJsonSchema, type JsonObject, type JsonValue } from '../schema/index.ts';
import { METHODS, reply, type Handler, type Method } from './endpoint-types.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.ts';
import type { RouteTable } from './route-table.ts';

const JSON_TYPE = 'application/json';
const SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** What a path pattern is, for the paths generated from the entities. */
type EntityPath =
  | { kind: 'collection'; meta: EntityMeta }
  | { kind: 'entity'; meta: EntityMeta }
  | { kind: 'parent'; child: EntityMeta; fk: ForeignKeyMeta }
  | { kind: 'nested-collection'; child: EntityMeta; fk: ForeignKeyMeta; suffix: string }
  | { kind: 'nested-entity'; child: EntityMeta; fk: ForeignKeyMeta };

/** A node-level operation, described by hand (its body is not an entity). */
interface NodeOperation {
  id: string;
  tag: string;
  summary: string;
  /** Status and schema of the success response. */
  status?: number;
  response?: JsonObject;
  /** A text (not JSON) success response: its media type. */
  textResponse?: string;
  requestBody?: JsonObject;
  query?: string[];
  errors?: string[];
}

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const responseRef = (name: string): JsonObject => ({ $ref: `#/components/responses/${name}` });
const paramRef = (name: string): JsonObject => ({ $ref: `#/components/parameters/${name}` });
const jsonContent = (schema: JsonObject): JsonObject => ({ [JSON_TYPE]: { schema } });
const stringArray: JsonObject = { type: 'array', items: { type: 'string' } };
const anyObject: JsonObject = { type: 'object' };
const message: JsonObject = ref('Message');
const schemaView: JsonObject = ref('SchemaView');

const tagList: JsonObject = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: { entity_name: { type: 'string' }, entity_id: { type: 'string', format: 'uuid' }, tag: { type: 'string' } },
        required: ['entity_name', 'entity_id', 'tag'],
      },
    },
    next: { type: ['string', 'null'] },
    offset: { type: 'string' },
  },
  required: ['data', 'next'],
};

const declarativeBody: JsonObject = {
  type: 'object',
  description:
    'A declarative configuration with `_format_version`, or `{"config": <document or its YAML/JSON text>}`. ' +
    'YAML text and form fields (`config`, `flatten_errors`, `check_hash`) are accepted too.',
};

const consumerList: JsonObject = {
  type: 'object',
  properties: { data: { type: 'array', items: ref('consumers') }, next: { type: ['string', 'null'] }, offset: { type: 'string' } },
  required: ['data', 'next'],
};
const groupList: JsonObject = {
  type: 'object',
  properties: {
    data: { type: 'array', items: { allOf: [ref('consumer_groups'), { type: 'object', properties: { consumers_count: { type: 'integer' } } }] } },
    next: { type: ['string', 'null'] },
    offset: { type: 'string' },
  },
  required: ['data', 'next'],
};
const namesBody = (field: string, what: string): JsonObject => ({
  type: 'object',
  properties: { [field]: { description: `The ${what}'s id or name, or a list of them.`, oneOf: [{ type: 'string' }, stringArray] } },
  required: [field],
});

/** Kong's consumer-group routes: a group with its plugins and consumers, and memberships from both sides. */
const CONSUMER_GROUP_OPERATIONS: Readonly<Record<string, Partial<Record<Method, NodeOperation>>>> = {
  '/consumer_groups/{consumer_groups}': {
    GET: {
      id: 'getConsumerGroup',
      tag: 'consumer_groups',
      summary: 'A consumer group with its plugins and (unless `list_consumers=false`) its consumers',
      response: {
        type: 'object',
        properties: { consumer_group: ref('consumer_groups'), plugins: { type: 'array', items: ref('plugins') }, consumers: { type: 'array', items: ref('consumers') } },
        required: ['consumer_group', 'plugins'],
      },
      errors: ['404'],
    },
  },
  '/consumer_groups/{consumer_groups}/consumers': {
    GET: { id: 'listConsumerGroupConsumers', tag: 'consumer_groups', summary: "The group's consumers", response: consumerList, query: ['size', 'offset'], errors: ['400', '404'] },
    POST: {
      id: 'addConsumersToGroup',
      tag: 'consumer_groups',
      summary: 'Adds consumers to the group (409 when one is a member already)',
      status: 201,
      requestBody: namesBody('consumer', 'consumer'),
      response: { type: 'object', properties: { consumer_group: ref('consumer_groups'), consumers: { type: 'array', items: ref('consumers') } } },
      errors: ['400', '404', '409'],
    },
    DELETE: { id: 'removeAllConsumersFromGroup', tag: 'consumer_groups', summary: 'Removes every consumer from the group', status: 204, errors: ['404'] },
  },
  '/consumer_groups/{consumer_groups}/consumers/{consumers}': {
    GET: {
      id: 'getConsumerGroupConsumer',
      tag: 'consumer_groups',
      summary: 'A consumer of the group',
      response: { type: 'object', properties: { consumer: ref('consumers') }, required: ['consumer'] },
      errors: ['404'],
    },
    DELETE: { id: 'removeConsumerFromGroup', tag: 'consumer_groups', summary: 'Removes the consumer from the group', status: 204, errors: ['404'] },
  },
  '/consumers/{consumers}/consumer_groups': {
    GET: { id: 'listConsumerConsumerGroups', tag: 'consumer_groups', summary: "The consumer's groups, each with its `consumers_count`", response: groupList, query: ['size', 'offset'], errors: ['400', '404'] },
    POST: {
      id: 'addConsumerToGroups',
      tag: 'consumer_groups',
      summary: 'Adds the consumer to groups (409 when it is a member already)',
      status: 201,
      requestBody: namesBody('group', 'consumer group'),
      response: { type: 'object', properties: { consumer_groups: { type: 'array', items: ref('consumer_groups') }, consumer: ref('consumers') } },
      errors: ['400', '404', '409'],
    },
    DELETE: { id: 'removeConsumerFromAllGroups', tag: 'consumer_groups', summary: 'Removes the consumer from every group', status: 204, errors: ['404'] },
  },
  '/consumers/{consumers}/consumer_groups/{consumer_groups}': {
    GET: {
      id: 'getConsumerConsumerGroup',
      tag: 'consumer_groups',
      summary: 'A group of the consumer',
      response: { type: 'object', properties: { consumer_group: ref('consumer_groups') }, required: ['consumer_group'] },
      errors: ['404'],
    },
    DELETE: { id: 'removeConsumerFromOneGroup', tag: 'consumer_groups', summary: 'Removes the consumer from the group', status: 204, errors: ['404'] },
  },
};

/** The node-level endpoints, by path and method. Paths the table does not serve are ignored. */
const NODE_OPERATIONS: Readonly<Record<string, Partial<Record<Method, NodeOperation>>>> = {
  '/': { GET: { id: 'getNodeInfo', tag: 'node', summary: 'Node information: version, plugins, configuration', response: anyObject } },
  '/status': { GET: { id: 'getNodeStatus', tag: 'node', summary: 'Node status: database reachability or configuration hash', response: anyObject } },
  '/metrics': {
    GET: { id: 'getMetrics', tag: 'node', summary: "The node's metrics (summed over its workers) in the Prometheus text format", textResponse: 'text/plain; version=0.0.4' },
  },
  '/endpoints': {
    GET: {
      id: 'listEndpoints',
      tag: 'node',
      summary: 'Every path the Admin API serves',
      response: { type: 'object', properties: { data: stringArray }, required: ['data'] },
    },
  },
  '/debug/node/log-level': { GET: { id: 'getNodeLogLevel', tag: 'node', summary: "This node's error log level now", response: message } },
  '/debug/node/log-level/{log_level}': {
    PUT: { id: 'setNodeLogLevel', tag: 'node', summary: "Sets this node's log level for `?timeout=` seconds (default 60; 0: until changed)", response: message, query: ['timeout'], errors: ['400', '405'] },
  },
  '/debug/cluster/log-level/{log_level}': {
    PUT: { id: 'setClusterLogLevel', tag: 'node', summary: 'Sets the log level of every node on this database (not on control planes)', response: message, query: ['timeout'], errors: ['400', '404', '405'] },
  },
  '/debug/cluster/control-planes-nodes/log-level/{log_level}': {
    PUT: { id: 'setControlPlanesLogLevel', tag: 'node', summary: 'Sets the log level of every control plane on this database (control planes only)', response: message, query: ['timeout'], errors: ['400', '404'] },
  },
  '/timers': { GET: { id: 'getTimers', tag: 'node', summary: 'Timers waiting in the processes of this node', response: anyObject } },
  '/cache/{key}': {
    GET: { id: 'getCacheEntry', tag: 'node', summary: "A value in the node's shared cache (an object, or `{\"message\": value}`)", response: anyObject, errors: ['404'] },
    DELETE: { id: 'deleteCacheEntry', tag: 'node', summary: "Removes a value from the node's shared cache", status: 204 },
  },
  '/cache': { DELETE: { id: 'purgeCache', tag: 'node', summary: "Empties the node's shared cache", status: 204 } },
  '/openapi.json': { GET: { id: 'getOpenApiDocument', tag: 'node', summary: 'This OpenAPI document', response: anyObject } },
  '/schemas/{name}': { GET: { id: 'getEntitySchema', tag: 'schemas', summary: "An entity's schema, as Kong Manager reads it", response: schemaView, errors: ['404'] } },
  '/schemas/{db_entity_name}/validate': {
    POST: {
      id: 'validateEntity',
      tag: 'schemas',
      summary: 'Whether a body would be a valid entity (nothing is written)',
      requestBody: anyObject,
      response: message,
      errors: ['400', '404'],
    },
  },
  '/schemas/plugins/validate': {
    POST: {
      id: 'validatePlugin',
      tag: 'schemas',
      summary: 'Whether a body would be a valid plugin (nothing is written)',
      requestBody: ref('plugins'),
      response: message,
      errors: ['400'],
    },
  },
  '/schemas/vaults/validate': {
    POST: {
      id: 'validateVault',
      tag: 'schemas',
      summary: 'Whether a body would be a valid vault (nothing is written)',
      requestBody: ref('vaults'),
      response: message,
      errors: ['400'],
    },
  },
  '/schemas/vaults/{name}': { GET: { id: 'getVaultSchema', tag: 'schemas', summary: "A vault backend's entity schema (its config fields)", response: schemaView, errors: ['404'] } },
  '/schemas/plugins/{name}': { GET: { id: 'getPluginEntitySchema', tag: 'schemas', summary: "A plugin's entity schema", response: schemaView, errors: ['404'] } },
  '/plugins/schema/{name}': { GET: { id: 'getPluginConfigSchema', tag: 'schemas', summary: "A plugin's config schema", response: schemaView, errors: ['404'] } },
  '/plugins/enabled': {
    GET: {
      id: 'listEnabledPlugins',
      tag: 'plugins',
      summary: 'The plugins this node can run',
      response: { type: 'object', properties: { enabled_plugins: stringArray }, required: ['enabled_plugins'] },
    },
  },
  '/audit/requests': {
    GET: {
      id: 'listAuditRequests',
      tag: 'node',
      summary: 'Every Admin API write (who, when, method, path, status), newest first',
      response: anyObject,
      query: ['size', 'offset'],
      errors: ['400'],
    },
  },
  '/clustering/data-planes': {
    GET: {
      id: 'listDataPlanes',
      tag: 'clustering',
      summary: 'Control plane: every data plane it knows, with sync status, lag and connection state',
      response: anyObject,
      query: ['size', 'offset'],
      errors: ['400'],
    },
  },
  '/clustering/status': {
    GET: { id: 'getClusteringStatus', tag: 'clustering', summary: 'Control plane: data planes by id (Kong\'s older, deprecated view)', response: anyObject, errors: ['400'] },
  },
  '/clustering/telemetry': {
    GET: { id: 'getClusterTelemetry', tag: 'clustering', summary: 'Control plane: traffic reported by data planes, per service and per data plane', response: anyObject, errors: ['400'] },
  },
  '/upstreams/{upstreams}/health': {
    GET: {
      id: 'getUpstreamHealth',
      tag: 'upstreams',
      summary: "The upstream's targets with their health (HEALTHY, UNHEALTHY, HEALTHCHECKS_OFF or DNS_ERROR), or with balancer_health=1 the upstream as a whole",
      response: anyObject,
      errors: ['400', '404'],
    },
  },
  ...Object.fromEntries(
    (['healthy', 'unhealthy'] as const).flatMap((word) => {
      const Word = word[0].toUpperCase() + word.slice(1);
      const op = (method: string) => ({
        id: `setTarget${Word}${method === 'PUT' ? '' : 'Post'}`,
        tag: 'upstreams',
        summary: `Mark the target ${word} on every worker until the health checks say otherwise${method === 'PUT' ? '' : " (Kong 2's POST form)"}`,
        status: 204,
        errors: ['400', '404'],
      });
      const opAddress = (method: string) => ({ ...op(method), id: `${op(method).id}Address`, summary: `${op(method).summary}; by the target's address` });
      return [
        [`/upstreams/{upstreams}/targets/{targets}/${word}`, { PUT: op('PUT'), POST: op('POST') }],
        [`/upstreams/{upstreams}/targets/{targets}/{address}/${word}`, { PUT: opAddress('PUT'), POST: opAddress('POST') }],
      ];
    }),
  ),
  '/tags': { GET: { id: 'listTags', tag: 'tags', summary: 'Every tag with the entity that carries it', response: tagList, query: ['size', 'offset'], errors: ['400'] } },
  '/tags/{tags}': { GET: { id: 'listTagged', tag: 'tags', summary: 'The entities carrying one tag', response: tagList, query: ['size', 'offset'], errors: ['400'] } },
  ...CONSUMER_GROUP_OPERATIONS,
  '/config': {
    GET: { id: 'getConfig', tag: 'config', summary: 'The declarative configuration being served (DB-less only)', response: anyObject, errors: ['400'] },
    POST: {
      id: 'postConfig',
      tag: 'config',
      summary: 'Replace the whole configuration (DB-less only); 304 when `check_hash=1` and nothing changed',
      status: 201,
      requestBody: declarativeBody,
      response: { type: 'object', description: 'The loaded entities by collection, then by id.' },
      query: ['flatten_errors', 'check_hash'],
      errors: ['400'],
    },
  },
};

/** What a path parameter that is not an entity key stands for. */
const OTHER_PATH_PARAMETERS: Readonly<Record<string, string>> = {
  name: 'An entity name (`services`) or a plugin name.',
  db_entity_name: 'An entity name (`services`).',
  tags: 'A tag.',
  address: "One of the target's addresses, `ip:port` (a target is one address here: its own).",
};

/** Lookups by a non-UUID key that Kong's custom endpoints add to the generated ones. */
const OTHER_KEYS: Readonly<Partial<Record<EntityName, string>>> = {
  certificates: 'one of its SNI names',
  targets: 'its `host:port` (only under its upstream)',
};

// ---------------------------------------------------------------------------------------------------------
// Names

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** `ca_certificates` -> `CaCertificate`. */
const singularName = (meta: EntityMeta): string => pascal(meta.singular);
/** `ca_certificates` -> `ca certificate`. */
const singularWords = (meta: EntityMeta): string => meta.singular.replaceAll('_', ' ');
/** `a route`, `an upstream`. */
const aSingular = (meta: EntityMeta): string => `${/^[aeiou]/.test(meta.singular) ? 'an' : 'a'} ${singularWords(meta)}`;

/** Every path the generated CRUD can serve, described (the table decides which of them exist). */
function entityPaths(): Map<string, EntityPath> {
  const paths = new Map<string, EntityPath>();
  for (const name of ENTITY_ORDER) {
    const meta = ENTITIES[name];
    const entity = `/${meta.adminApiName}/{${meta.name}}`;
    paths.set(`/${meta.adminApiName}`, { kind: 'collection', meta });
    paths.set(entity, { kind: 'entity', meta });
    for (const fk of meta.foreignKeys) {
      const nested = `/${ENTITIES[fk.reference].adminApiName}/{${fk.reference}}/${meta.adminApiNestedName}`;
      paths.set(`${entity}/${fk.field}`, { kind: 'parent', child: meta, fk });
      paths.set(nested, { kind: 'nested-collection', child: meta, fk, suffix: '' });
      paths.set(`${nested}/{${meta.name}}`, { kind: 'nested-entity', child: meta, fk });
      // Kong's `/upstreams/{u}/targets/all` lists the same children under another name.
      paths.set(`${nested}/all`, { kind: 'nested-collection', child: meta, fk, suffix: 'All' });
    }
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------------------
// Components

/** An entity's JSON Schema as an OpenAPI component (the dialect is declared once, at the top). */
function entitySchema(meta: EntityMeta): JsonObject {
  const { $schema: _dialect, ...schema } = toJsonSchema(meta.schema);
  return schema;
}

function withoutRequired(schema: JsonObject, drop: (field: string) => boolean, description: string): JsonObject {
  const { required, ...rest } = schema;
  const kept = Array.isArray(required) ? required.filter((f) => typeof f === 'string' && !drop(f)) : [];
  return kept.length > 0 ? { ...rest, required: kept, description } : { ...rest, description };
}

function listSchema(meta: EntityMeta): JsonObject {
  return {
    type: 'object',
    description: `A page of ${meta.name}: \`offset\` and a \`next\` link when more pages exist, \`next: null\` on the last one.`,
    properties: {
      data: { type: 'array', items: ref(meta.name) },
      next: { type: ['string', 'null'], description: 'The path of the next page, or null.' },
      offset: { type: 'string', description: 'The `offset` argument for the next page.' },
    },
    required: ['data', 'next'],
  };
}

function dbError(code: number | null, name: string | null, description: string): JsonObject {
  return {
    type: 'object',
    description,
    properties: {
      code: code === null ? { type: 'integer' } : { const: code },
      name: name === null ? { type: 'string' } : { const: name },
      message: { type: 'string' },
      fields: { type: 'object', description: 'The offending fields, shaped like the entity (nested for records).' },
    },
    required: code === null ? ['message'] : ['code', 'name', 'message'],
  };
}

/** Collects component schemas as operations need them, so that only used ones appear. */
class Components {
  readonly schemas = new Map<string, JsonObject>();

  constructor() {
    this.schemas.set('Message', {
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
    });
    this.schemas.set('SchemaViolation', dbError(2, 'schema violation', 'A body that does not fit the schema; `fields` holds one message per field, `@entity` the entity checks.'));
    this.schemas.set('UniqueViolation', dbError(5, 'unique constraint violation', 'A unique field already taken; `fields` holds the key.'));
    this.schemas.set('DatabaseError', dbError(null, null, "Kong's other database errors: foreign key (4), not found (6), invalid offset (7), size (9), options (11), and so on."));
    this.schemas.set('SchemaView', {
      type: 'object',
      description: 'A schema as Kong shows it: ordered `fields` (one `{name: definition}` each) and `entity_checks`.',
      properties: { fields: { type: 'array', items: anyObject }, entity_checks: { type: 'array', items: anyObject } },
      required: ['fields', 'entity_checks'],
    });
  }

  /** The entity as written (POST, PUT) and as returned. */
  entity(meta: EntityMeta): JsonObject {
    if (!this.schemas.has(meta.name)) this.schemas.set(meta.name, entitySchema(meta));
    return ref(meta.name);
  }

  /** A PATCH body: the same fields, none of them required at the top level. */
  update(meta: EntityMeta): JsonObject {
    const name = `${meta.name}.update`;
    if (!this.schemas.has(name)) this.schemas.set(name, withoutRequired(entitySchema(meta), () => true, `Fields of ${meta.name} to change.`));
    return ref(name);
  }

  /** A body under a parent: the URL gives the foreign key, so the body need not. */
  nested(meta: EntityMeta, fk: ForeignKeyMeta): JsonObject {
    const name = `${meta.name}.under-${fk.field}`;
    if (!this.schemas.has(name)) {
      const description = `${aSingular(meta)} written under its ${fk.field}, which the URL names.`;
      this.schemas.set(name, withoutRequired(entitySchema(meta), (f) => f === fk.field, description));
    }
    return ref(name);
  }

  list(meta: EntityMeta): JsonObject {
    const name = `${meta.name}.list`;
    if (!this.schemas.has(name)) this.schemas.set(name, listSchema(meta));
    return ref(name);
  }
}

const RESPONSES: JsonObject = {
  BadRequest: {
    description: 'Schema violation (code 2, with `fields`), or another invalid request (foreign key, size, offset, tags).',
    content: jsonContent({ anyOf: [ref('SchemaViolation'), ref('DatabaseError'), ref('Message')] }),
  },
  NotFound: { description: 'No such entity (or its parent is missing).', content: jsonContent(ref('Message')) },
  Conflict: { description: 'A unique field is taken (code 5).', content: jsonContent(ref('UniqueViolation')) },
  MethodNotAllowed: {
    description: 'Not allowed here; in DB-less mode every entity write answers this (code 12).',
    content: jsonContent(ref('Message')),
  },
};

const PARAMETERS: JsonObject = {
  size: {
    name: 'size',
    in: 'query',
    description: `Items per page (code 9 when invalid).`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  offset: { name: 'offset', in: 'query', description: 'The `offset` of the previous page (code 7 when invalid).', schema: { type: 'string' } },
  tags: {
    name: 'tags',
    in: 'query',
    description: 'Only entities with all of these tags (`a,b`) or any of them (`a/b`); at most 5.',
    schema: { type: 'string' },
  },
  custom_id: { name: 'custom_id', in: 'query', description: 'Find the consumer with this `custom_id` (a list of zero or one).', schema: { type: 'string' } },
  flatten_errors: { name: 'flatten_errors', in: 'query', description: 'Report errors as a flat list.', schema: { type: 'boolean' } },
  check_hash: { name: 'check_hash', in: 'query', description: 'With `1`, answer 304 when the configuration is unchanged.', schema: { type: 'string' } },
  timeout: { name: 'timeout', in: 'query', description: 'Seconds before the configured level comes back (0: never).', schema: { type: 'number', minimum: 0, default: 60 } },
};

// ---------------------------------------------------------------------------------------------------------
// Operations

function jsonResponse(description: string, schema: JsonObject): JsonObject {
  return { description, content: jsonContent(schema) };
}

function errorResponses(codes: readonly string[]): JsonObject {
  const names: Record<string, string> = { '400': 'BadRequest', '404': 'NotFound', '405': 'MethodNotAllowed', '409': 'Conflict' };
  return Object.fromEntries(codes.map((code) => [code, responseRef(names[code])]));
}

function operation(id: string, tag: string, summary: string, responses: JsonObject, extra: JsonObject = {}): JsonObject {
  return { operationId: id, tags: [tag], summary, ...extra, responses };
}

function body(schema: JsonObject): JsonObject {
  return { required: true, content: jsonContent(schema) };
}

function listQuery(meta: EntityMeta, topLevel: boolean): JsonValue[] {
  const query = [paramRef('size'), paramRef('offset')];
  if (topLevel && meta.hasTags) query.push(paramRef('tags'));
  if (topLevel && meta.name === 'consumers') query.push(paramRef('custom_id'));
  return query;
}

/** One method of one generated CRUD path, or null when the method is not one CRUD serves there. */
function entityOperation(path: EntityPath, method: Method, c: Components): JsonObject | null {
  const writeErrors = errorResponses(['400', '404', '405', '409']);
  switch (path.kind) {
    case 'collection': {
      const { meta } = path;
      const tag = meta.name;
      if (method === 'GET') {
        return operation(`list${pascal(meta.name)}`, tag, `List ${meta.name.replaceAll('_', ' ')}`, { '200': jsonResponse('A page.', c.list(meta)), ...errorResponses(['400']) }, { parameters: listQuery(meta, true) });
      }
      if (method === 'POST') {
        const { '404': _missing, ...errors } = writeErrors;
        return operation(`create${singularName(meta)}`, tag, `Create ${aSingular(meta)}`, { '201': jsonResponse('Created.', c.entity(meta)), ...errors }, { requestBody: body(c.entity(meta)) });
      }
      return null;
    }
    case 'entity':
      return singleOperation(singularName(path.meta), path.meta, method, c, path.meta.name, {
        put: c.entity(path.meta),
        patch: c.update(path.meta),
        what: aSingular(path.meta),
      });
    case 'nested-entity': {
      const parent = ENTITIES[path.fk.reference];
      return singleOperation(`${singularName(parent)}${singularName(path.child)}`, path.child, method, c, path.child.name, {
        put: c.nested(path.child, path.fk),
        patch: c.update(path.child),
        what: `${aSingular(path.child)} of ${aSingular(parent)}`,
      });
    }
    case 'parent': {
      const parent = ENTITIES[path.fk.reference];
      const joined = `${singularName(path.child)}${pascal(path.fk.field)}`;
      // `/keys/{k}/set` would read `KeySet`, the key set entity's own name: say whose it is.
      const id = ENTITY_ORDER.some((name) => singularName(ENTITIES[name]) === joined) ? `${joined}Of${singularName(path.child)}` : joined;
      const what = `the ${path.fk.field.replaceAll('_', ' ')} of ${aSingular(path.child)}`;
      if (method === 'DELETE') {
        return operation(`delete${id}`, parent.name, `Not allowed: delete ${what} directly`, errorResponses(['404', '405']));
      }
      return singleOperation(id, parent, method, c, parent.name, { put: c.entity(parent), patch: c.update(parent), what });
    }
    case 'nested-collection': {
      const { child, fk, suffix } = path;
      const parent = ENTITIES[fk.reference];
      const plural = pascal(child.adminApiNestedName);
      if (method === 'GET') {
        const summary = `List ${suffix === '' ? 'the' : 'all the'} ${child.name.replaceAll('_', ' ')} of ${aSingular(parent)}`;
        return operation(`list${singularName(parent)}${plural}${suffix}`, child.name, summary, { '200': jsonResponse('A page.', c.list(child)), ...errorResponses(['400', '404']) }, { parameters: listQuery(child, false) });
      }
      if (method === 'POST') {
        const summary = `Create ${aSingular(child)} for ${aSingular(parent)}`;
        return operation(`create${singularName(parent)}${singularName(child)}`, child.name, summary, { '201': jsonResponse('Created.', c.entity(child)), ...writeErrors }, { requestBody: body(c.nested(child, fk)) });
      }
      return null;
    }
  }
}

/** GET, PUT, PATCH and DELETE of one entity; `id` names the operations (`getServiceRoute`). */
function singleOperation(
  id: string,
  meta: EntityMeta,
  method: Method,
  c: Components,
  tag: string,
  bodies: { put: JsonObject; patch: JsonObject; what: string },
): JsonObject | null {
  const entity = c.entity(meta);
  const writeErrors = errorResponses(['400', '404', '405', '409']);
  switch (method) {
    case 'GET':
      return operation(`get${id}`, tag, `Read ${bodies.what}`, { '200': jsonResponse('Found.', entity), ...errorResponses(['404']) });
    case 'PUT':
      return operation(`upsert${id}`, tag, `Create or replace ${bodies.what}`, { '200': jsonResponse('Saved.', entity), ...writeErrors }, { requestBody: body(bodies.put) });
    case 'PATCH':
      return operation(`update${id}`, tag, `Update ${bodies.what}`, { '200': jsonResponse('Updated.', entity), ...writeErrors }, { requestBody: body(bodies.patch) });
    case 'DELETE':
      return operation(`delete${id}`, tag, `Delete ${bodies.what}`, { '204': { description: 'Deleted (or was not there).' }, ...errorResponses(['400', '404', '405']) });
    default:
      return null;
  }
}

function nodeOperation(op: NodeOperation): JsonObject {
  const status = String(op.status ?? 200);
  const success = status === '204'
    ? { description: 'Done; no content.' }
    : op.textResponse !== undefined
      ? { description: 'Success.', content: { [op.textResponse]: { schema: { type: 'string' } } } }
      : jsonResponse('Success.', op.response ?? anyObject);
  const responses: JsonObject = { [status]: success, ...errorResponses(op.errors ?? []) };
  const extra: JsonObject = {};
  if (op.query !== undefined) extra.parameters = op.query.map(paramRef);
  if (op.requestBody !== undefined) extra.requestBody = body(op.requestBody);
  return operation(op.id, op.tag, op.summary, responses, extra);
}

/** For a path no description knows: still listed, with an undescribed JSON answer. */
function genericOperation(path: string, method: Method): JsonObject {
  return operation(`${method.toLowerCase()}${pascal(path.replace(/[{}]/g, ''))}`, 'other', `${method} ${path}`, { '200': jsonResponse('Success.', {}) });
}

function pathParameter(name: string): JsonObject {
  const meta = Object.prototype.hasOwnProperty.call(ENTITIES, name) ? ENTITIES[name as EntityName] : null;
  let description = OTHER_PATH_PARAMETERS[name] ?? 'A path segment.';
  if (meta !== null) {
    const keys = [meta.endpointKey === null ? null : `its \`${meta.endpointKey}\``, OTHER_KEYS[meta.name] ?? null].filter((k) => k !== null);
    description = `The ${singularWords(meta)}'s id${keys.length > 0 ? `, or ${keys.join(', or ')}` : ''}.`;
  }
  return { name, in: 'path', required: true, description, schema: { type: 'string' } };
}

// ---------------------------------------------------------------------------------------------------------
// The document

/** The OpenAPI 3.1 document for every path and method `table` serves. */
export function buildOpenApiDocument(table: RouteTable): JsonObject {
  const described = entityPaths();
  const components = new Components();
  const paths: JsonObject = {};
  const tags = new Set<string>();
  for (const path of table.paths()) {
    const item: JsonObject = {};
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    if (names.length > 0) item.parameters = names.map(pathParameter);
    for (const method of METHODS) {
      if (table.get(path, method) === undefined) continue;
      const entityPath = described.get(path);
      const node = NODE_OPERATIONS[path]?.[method];
      // A hand-written description wins: it is there because Kong's answer is not the generated one.
      const op =
        (node === undefined ? null : nodeOperation(node)) ??
        (entityPath === undefined ? null : entityOperation(entityPath, method, components)) ??
        genericOperation(path, method);
      for (const tag of op.tags as string[]) tags.add(tag);
      item[method.toLowerCase()] = op;
    }
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: SCHEMA_DIALECT,
    info: {
      title: 'Tollgate Admin API',
      version: VERSION,
      description:
        "Tollgate's Admin API, compatible with Kong Gateway 3.x. Entities are addressed by id or by their endpoint key " +
        '(such as a name). Writes also accept form bodies (`application/x-www-form-urlencoded`, `multipart/form-data`) ' +
        'with the same fields. Generated from the route table and the entity schemas.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://localhost:8001' }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: Object.fromEntries([...components.schemas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      responses: RESPONSES,
      parameters: PARAMETERS,
    },
  };
}

/** The document as checked in (`docs/openapi.json`): two-space JSON with a final newline. */
export function renderOpenApiDocument(table: RouteTable): string {
  return `${JSON.stringify(buildOpenApiDocument(table), null, 2)}\n`;
}

/** `GET /openapi.json`: built on first use (when the table is complete), then served from memory. */
export function openApiHandler(table: RouteTable): Handler {
  let document: JsonObject | null = null;
  return async () => reply(200, (document ??= buildOpenApiDocument(table)));
}
