import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Tollgate's version, from package.json, so that one edit releases it everywhere. */
export const VERSION: string = pkg.version;

/** The product token used in `Server` and `Via` headers. */
export const SERVER_TOKEN = `tollgate/${VERSION}`;

/**
 * The Kong Gateway version whose Admin API, declarative format and plugin schemas Tollgate speaks. `GET /`
 * reports it as `version`: Kong's own clients (Kong Manager, decK) turn their 3.x features on by comparing that
 * field with Kong releases, and would treat Tollgate's own version number as a Kong 0.x.
 */
export const KONG_COMPATIBLE_VERSION = '3.9.1';
