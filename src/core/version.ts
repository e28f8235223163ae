import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Tollgate's version, from package.json, so that one edit releases it everywhere. */
export const VERSION: string = pkg.version;

/** The product token used in `Server` and `Via` headers. */
export const SERVER_TOKEN = `tollgate/${VERSION}`;
