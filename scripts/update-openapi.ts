/**
 * Regenerates docs/openapi.json, the Admin API's OpenAPI document, from the route table and the entity
 * schemas (test/openapi.test.ts fails when the checked-in file is out of date). Run: `npm run docs:openapi`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiDocument } from '../src/admin/openapi.ts';
import { buildRouteTable } from '../src/admin/server.ts';
import { MemoryAuditTrail } from '../src/admin/audit-trail.ts';
import { registerPlugins } from '../src/entities/index.ts';
import { BUNDLED_PLUGINS } from '../src/plugins/index.ts';

export const OPENAPI_FILE = join(import.meta.dirname, '..', 'docs', 'openapi.json');

/** The text docs/openapi.json should hold. */
export function currentOpenApiText(): string {
  // As a node with the default `plugins = bundled` serves it: the bundled plugins' entities included.
  registerPlugins(BUNDLED_PLUGINS);
  // With an audit trail, so that the document lists /audit/requests as every node serves it.
  return renderOpenApiDocument(buildRouteTable(() => new MemoryAuditTrail()));
}

if (import.meta.main) writeFileSync(OPENAPI_FILE, currentOpenApiText());
