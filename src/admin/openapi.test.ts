/**
 * The OpenAPI document: it lists exactly what the route table serves, is well-formed (every `$ref` resolves,
 * every path parameter is declared), carries the entity schemas and Kong's error bodies, and is served.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, JsonValue } from '../schema/index.ts';
import { METHODS } from './endpoint-types.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { RouteTable } from './route-table.ts';
import { buildRouteTable } from './server.ts';
import { startTestAdmin, type TestAdmin } from './test-support.ts';
import { registerPlugins } from '../entities/index.ts';
import { BUNDLED_PLUGINS } from '../plugins/index.ts';

// Plugins' entities (key-auth's credentials) exercise the generic behaviour, as on a node that enables them.
registerPlugins(BUNDLED_PLUGINS);

const table = buildRouteTable();
const doc = buildOpenApiDocument(table);

function obj(value: JsonValue | undefined): JsonObject {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `expected an object, got ${JSON.stringify(value)}`);
  return value;
}

/** Follows a local JSON pointer (`#/components/schemas/x`), or returns undefined. */
function resolvePointer(root: JsonValue, pointer: string): JsonValue | undefined {
  if (!pointer.startsWith('#/')) return undefined;
  let node: JsonValue | undefined = root;
  for (const raw of pointer.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Follows `$ref`s until a concrete object. */
function deref(value: JsonValue | undefined): JsonObject {
  let node = obj(value);
  while (typeof node.$ref === 'string') node = obj(resolvePointer(doc, node.$ref));
  return node;
}

/** Everything that makes the document ill-formed, as messages (empty when it is fine). */
function problems(document: JsonObject): string[] {
  const found: string[] = [];
  const walk = (node: JsonValue, where: string): void => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${where}/${i}`));
    else if (node !== null && typeof node === 'object') {
      if (typeof node.$ref === 'string' && resolvePointer(document, node.$ref) === undefined) found.push(`${where}: unresolved ${node.$ref}`);
      for (const [key, value] of Object.entries(node)) walk(value, `${where}/${key}`);
    }
  };
  walk(document, '#');
  const ids = new Set<string>();
  for (const [path, rawItem] of Object.entries(obj(document.paths))) {
    const item = obj(rawItem);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, rawOp] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = obj(rawOp);
      const declared = [...((item.parameters ?? []) as JsonValue[]), ...((op.parameters ?? []) as JsonValue[])]
        .map((p) => (typeof obj(p).$ref === 'string' ? obj(resolvePointer(document, obj(p).$ref as string)) : obj(p)))
        .filter((p) => p.in === 'path');
      for (const name of templated) {
        const param = declared.find((p) => p.name === name);
        if (param === undefined) found.push(`${method} ${path}: path parameter {${name}} not declared`);
        else if (param.required !== true) found.push(`${method} ${path}: path parameter {${name}} not required`);
      }
      for (const p of declared) if (!templated.includes(String(p.name))) found.push(`${method} ${path}: ${String(p.name)} is not in the path`);
      const id = String(op.operationId);
      if (ids.has(id)) found.push(`${method} ${path}: operationId ${id} used twice`);
      ids.add(id);
      if (Object.keys(obj(op.responses)).length === 0) found.push(`${method} ${path}: no responses`);
    }
  }
  return found;
}

test('the document lists every path and method of the route table, and nothing else', () => {
  assert.equal(doc.openapi, '3.1.0');
  const paths = obj(doc.paths);
  assert.deepEqual(Object.keys(paths), table.paths());
  for (const path of table.paths()) {
    const served = METHODS.filter((m) => table.get(path, m) !== undefined).map((m) => m.toLowerCase());
    const listed = Object.keys(obj(paths[path])).filter((k) => k !== 'parameters');
    assert.deepEqual(listed, served, path);
  }
  assert.ok('/openapi.json' in paths);
  // Kong's disabled endpoints stay out.
  assert.ok(!('/targets' in paths));
  assert.ok(!('/snis/{snis}/certificate' in paths));
});

test('the document is well-formed: refs resolve, path parameters are declared, operation ids are unique', () => {
  assert.deepEqual(problems(doc), []);
});

test('the well-formedness check catches a dangling $ref and an undeclared path parameter', () => {
  const broken: JsonObject = {
    paths: {
      '/a/{x}': { get: { operationId: 'a', responses: { '200': { $ref: '#/components/responses/Nope' } } } },
      '/b/{y}': { parameters: [{ name: 'y', in: 'path' }], get: { operationId: 'a', responses: { '200': { description: 'ok' } } } },
    },
  };
  assert.deepEqual(problems(broken), [
    '#/paths//a/{x}/get/responses/200: unresolved #/components/responses/Nope',
    'get /a/{x}: path parameter {x} not declared',
    'get /b/{y}: path parameter {y} not required',
    'get /b/{y}: operationId a used twice',
  ]);
});

test('every served path is described (no undescribed fallback operations)', () => {
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const [method, op] of Object.entries(obj(item))) {
      if (method !== 'parameters') assert.notDeepEqual(obj(op).tags, ['other'], `${method} ${path}`);
    }
  }
});

test('a path no description knows is still listed, with a generic operation', () => {
  const custom = new RouteTable();
  custom.set('/custom/{thing}', 'DELETE', async () => ({ status: 204 }));
  const generic = buildOpenApiDocument(custom);
  const item = obj(obj(generic.paths)['/custom/{thing}']);
  assert.deepEqual(obj(item.delete).tags, ['other']);
  assert.deepEqual(problems(generic), []);
});

test('request bodies are the entity JSON Schemas: required fields, defaults, enums', () => {
  const paths = obj(doc.paths);
  const create = deref(obj(obj(obj(obj(obj(paths['/services']).post).requestBody).content)['application/json']).schema);
  assert.deepEqual(create.required, ['host']);
  const props = obj(create.properties);
  assert.equal(obj(props.port).default, 80);
  assert.ok((obj(props.protocol).enum as string[]).includes('https'));
  assert.equal(create.additionalProperties, false);
  assert.equal(create.$schema, undefined);

  const patch = deref(obj(obj(obj(obj(obj(paths['/services/{services}']).patch).requestBody).content)['application/json']).schema);
  assert.equal(patch.required, undefined);
  assert.ok('host' in obj(patch.properties));

  // Under a consumer the URL names the consumer, so the body need not.
  const nested = deref(obj(obj(obj(obj(obj(paths['/consumers/{consumers}/key-auth']).post).requestBody).content)['application/json']).schema);
  assert.deepEqual(nested.required ?? [], []);
  const topLevel = deref(obj(obj(obj(obj(obj(paths['/key-auths']).post).requestBody).content)['application/json']).schema);
  assert.deepEqual(topLevel.required, ['consumer']);
});

test('responses: the entity, the paginated list, and Kong error bodies', () => {
  const paths = obj(doc.paths);
  const list = obj(obj(paths['/routes']).get);
  const page = deref(obj(obj(obj(obj(list.responses)['200']).content)['application/json']).schema);
  assert.deepEqual(page.required, ['data', 'next']);
  assert.deepEqual(Object.keys(obj(page.properties)), ['data', 'next', 'offset']);
  assert.equal(obj(obj(obj(page.properties).data).items).$ref, '#/components/schemas/routes');

  const create = obj(obj(paths['/routes']).post);
  const responses = obj(create.responses);
  assert.equal(deref(obj(obj(obj(responses['201']).content)['application/json']).schema).title, 'routes');
  const badRequest = deref(responses['400']);
  const violation = deref((obj(obj(obj(badRequest.content)['application/json']).schema).anyOf as JsonValue[])[0]);
  assert.deepEqual(obj(obj(violation.properties).code), { const: 2 });
  assert.ok('fields' in obj(violation.properties));
  const conflict = deref(obj(obj(deref(responses['409']).content)['application/json']).schema);
  assert.deepEqual(obj(obj(conflict.properties).code), { const: 5 });
  const notFound = deref(obj(obj(deref(obj(obj(obj(paths['/routes/{routes}']).get).responses)['404']).content)['application/json']).schema);
  assert.deepEqual(notFound.required, ['message']);
  assert.ok('204' in obj(obj(obj(paths['/routes/{routes}']).delete).responses));
});

test('parameters: path keys say how entities are addressed; listings take size, offset and (top level) tags', () => {
  const paths = obj(doc.paths);
  const serviceParam = obj((obj(paths['/services/{services}']).parameters as JsonValue[])[0]);
  assert.equal(serviceParam.name, 'services');
  assert.match(String(serviceParam.description), /`name`/);
  const names = (path: string): string[] =>
    ((obj(obj(paths[path]).get).parameters ?? []) as JsonValue[]).map((p) => String(deref(p).name));
  assert.deepEqual(names('/services'), ['size', 'offset', 'tags']);
  assert.deepEqual(names('/services/{services}/routes'), ['size', 'offset']);
  assert.deepEqual(names('/consumers'), ['size', 'offset', 'tags', 'custom_id']);
});

describe('GET /openapi.json', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startTestAdmin();
  });
  after(async () => {
    await admin.close();
  });

  test('serves the document for the paths /endpoints lists', async () => {
    const served = await admin.call('GET', '/openapi.json');
    assert.equal(served.status, 200);
    assert.match(String(served.headers['content-type']), /application\/json/);
    assert.equal(served.body.openapi, '3.1.0');
    assert.equal(served.body.paths['/services'].post.operationId, 'createService');
    assert.deepEqual(served.body.components.schemas.services, JSON.parse(JSON.stringify(obj(obj(doc.components).schemas).services)));
    // The server's own table, whatever it holds, is what the served document lists.
    const endpoints = await admin.call('GET', '/endpoints');
    assert.deepEqual(Object.keys(served.body.paths), endpoints.body.data);
  });
});
