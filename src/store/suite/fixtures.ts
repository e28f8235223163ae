/** Entities for the store suite, built through the entity schemas so that they are what the Admin API would store. */
import { randomUUID } from 'node:crypto';
import {
  certificateDigest,
  validateEntity,
  type EntityName,
  type PluginDefinitionForSchema,
  type PluginSchemaRegistry,
} from '../../entities/index.ts';
import { CA_CRT, RSA_CRT, RSA_KEY } from '../../entities/test-pem-fixtures.ts';
import type { Row } from '../types.ts';

/** A small plugin, so that plugin entities validate (with a config default to round-trip). */
const greeter: PluginDefinitionForSchema = {
  name: 'greeter',
  config: { type: 'record', fields: { greeting: { type: 'string', default: 'hello' } } },
};

export const TEST_PLUGINS: PluginSchemaRegistry = new Map([['greeter', greeter]]);

/** A validated entity, or a thrown error listing what the schema refused. */
export function entity(name: EntityName, input: Record<string, unknown>): Row {
  const result = validateEntity(name, input, { plugins: TEST_PLUGINS });
  if (!result.ok) throw new Error(`test fixture ${name} is invalid: ${JSON.stringify(result.errors)}`);
  return result.value as unknown as Row;
}

export function ref(row: { id: string }): { id: string } {
  return { id: row.id };
}

export const service = (name: string | null = null, extra: Record<string, unknown> = {}): Row =>
  entity('services', { name, host: 'backend.test', ...extra });

export const route = (svc: Row, extra: Record<string, unknown> = {}): Row =>
  entity('routes', { paths: ['/'], service: ref(svc), ...extra });

export const consumer = (username: string | null, extra: Record<string, unknown> = {}): Row =>
  entity('consumers', username === null ? { custom_id: randomUUID(), ...extra } : { username, ...extra });

export const plugin = (scope: { route?: Row; service?: Row; consumer?: Row } = {}, extra: Record<string, unknown> = {}): Row =>
  entity('plugins', {
    name: 'greeter',
    route: scope.route ? ref(scope.route) : null,
    service: scope.service ? ref(scope.service) : null,
    consumer: scope.consumer ? ref(scope.consumer) : null,
    ...extra,
  });

export const upstream = (name: string): Row => entity('upstreams', { name });

export const target = (up: Row, address: string): Row => entity('targets', { upstream: ref(up), target: address });

export const certificate = (extra: Record<string, unknown> = {}): Row => entity('certificates', { cert: RSA_CRT, key: RSA_KEY, ...extra });

export const sni = (cert: Row, name: string): Row => entity('snis', { name, certificate: ref(cert) });

export const caCertificate = (): Row => entity('ca_certificates', { cert: CA_CRT, cert_digest: certificateDigest(CA_CRT) });

export const keyAuth = (owner: Row, extra: Record<string, unknown> = {}): Row =>
  entity('keyauth_credentials', { consumer: ref(owner), ...extra });

