/**
 * Fuzz test (bounded, fixed seed) of every decoder that turns Admin API input into objects — form bodies,
 * multipart bodies, JSON bodies, query strings, declarative text — with `__proto__`, `constructor` and
 * `prototype` mixed into names and keys. Whatever the input, `Object.prototype` is never touched, the result
 * holds no such key, and input that has one is refused with an error naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { decodeFormArguments, parseArgumentName, checkArgumentName } from './form-decoder.ts';
import { parseJsonArguments, readEntityBody } from './request-body.ts';
import { AdminError } from './errors.ts';
import { ForbiddenKeyError, findForbiddenKey, isForbiddenKey } from '../core/safe-keys.ts';
import { parseQuery } from '../pdk/query.ts';
import { parseDeclarativeText } from '../declarative/parse.ts';
import { seededRandom } from '../../test/support/random.ts';

const SEED = 0x7011;
const ROUNDS = 400;

const random = seededRandom;

const BAD = ['__proto__', 'constructor', 'prototype'];
const GOOD = ['a', 'name', 'config', 'x', 'tags', '1', '2', 'hasOwnProperty', 'toString', '__proto', 'proto__'];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

function word(rnd: () => number): string {
  return rnd() < 0.3 ? pick(rnd, BAD) : pick(rnd, GOOD);
}

/** A form argument name: `root`, `root.key`, `root[key]`, `root[]`, `root[2]`, nested up to four levels. */
function argumentName(rnd: () => number): string {
  let name = word(rnd);
  const depth = Math.floor(rnd() * 4);
  for (let i = 0; i < depth; i++) {
    const r = rnd();
    if (r < 0.35) name += `.${word(rnd)}`;
    else if (r < 0.7) name += `[${word(rnd)}]`;
    else if (r < 0.85) name += '[]';
    else name += `[${1 + Math.floor(rnd() * 3)}]`;
  }
  return name;
}

function nameHasBadPart(name: string): boolean {
  if (isForbiddenKey(name)) return true;
  const parsed = parseArgumentName(name);
  if (parsed === null) return false;
  return isForbiddenKey(parsed.root) || parsed.segments.some((s) => s.kind === 'key' && isForbiddenKey(s.key));
}

/** A JSON value text with keys drawn from both lists. */
function jsonText(rnd: () => number, depth: number): string {
  const r = rnd();
  if (depth <= 0 || r < 0.3) return pick(rnd, ['1', '"v"', 'null', 'true', '[]', '{}']);
  if (r < 0.5) return `[${Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => jsonText(rnd, depth - 1)).join(',')}]`;
  const keys = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => word(rnd));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${jsonText(rnd, depth - 1)}`).join(',')}}`;
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function assertPrototypeClean(context: string): void {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_NAMES, `Object.prototype changed after ${context}`);
  const probe: Record<string, unknown> = {};
  for (const key of GOOD) if (key !== 'hasOwnProperty' && key !== 'toString') assert.equal(probe[key], undefined, `{}.${key} is set after ${context}`);
}

/** The same decoded value must hold no refused key and have only ordinary objects (or arrays) inside. */
function assertClean(value: unknown, context: string): void {
  assert.equal(findForbiddenKey(value), null, `a refused key survived ${context}`);
}

function fakeRequest(method: string, contentType: string, body: Buffer): IncomingMessage {
  const stream = Readable.from([body]) as unknown as IncomingMessage;
  Object.assign(stream, { method, headers: { 'content-type': contentType }, rawHeaders: ['Content-Type', contentType] });
  return stream;
}

test('form decoding: refused names fail naming the field; nothing reaches Object.prototype', () => {
  const rnd = random(SEED);
  for (let round = 0; round < ROUNDS; round++) {
    const pairs: Array<[string, string]> = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => [argumentName(rnd), String(round)]);
    const context = `form ${JSON.stringify(pairs)}`;
    const bad = pairs.find(([name]) => nameHasBadPart(name));
    try {
      const decoded = decodeFormArguments(pairs);
      assert.equal(bad, undefined, `${context} was accepted`);
      assertClean(decoded, context);
    } catch (error) {
      if (!(error instanceof ForbiddenKeyError)) throw error;
      assert.ok(bad !== undefined, `${context} was refused: ${error.message}`);
      assert.ok(pairs.some(([name]) => name === error.field), `the error names a field of the input: ${error.field}`);
      assert.match(error.message, /(__proto__|constructor|prototype)/);
    }
    assertPrototypeClean(context);
  }
});

test('multipart decoding: refused names are a 400 naming the field; nothing reaches Object.prototype', async () => {
  const rnd = random(SEED + 1);
  for (let round = 0; round < ROUNDS / 4; round++) {
    const form = new FormData();
    const names = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => argumentName(rnd));
    for (const name of names) form.append(name, `v${round}`);
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const req = fakeRequest('POST', encoded.headers.get('content-type')!, body);
    const context = `multipart ${JSON.stringify(names)}`;
    const bad = names.find(nameHasBadPart);
    try {
      const decoded = await readEntityBody(req);
      assert.equal(bad, undefined, `${context} was accepted`);
      assertClean(decoded.args, context);
    } catch (error) {
      if (!(error instanceof ForbiddenKeyError)) throw error;
      assert.ok(bad !== undefined, `${context} was refused`);
      assert.ok(names.includes(error.field));
    }
    assertPrototypeClean(context);
  }
});

test('JSON bodies: a refused key anywhere is refused with its path; nothing reaches Object.prototype', () => {
  const rnd = random(SEED + 2);
  for (let round = 0; round < ROUNDS; round++) {
    const text = `{${JSON.stringify(word(rnd))}:${jsonText(rnd, 4)},"name":"n"}`;
    const expected = findForbiddenKey(JSON.parse(text));
    try {
      const parsed = parseJsonArguments(text);
      assert.equal(expected, null, `${text} was accepted`);
      assertClean(parsed, text);
    } catch (error) {
      if (error instanceof AdminError) throw new Error(`${text}: ${JSON.stringify(error.body)}`);
      if (!(error instanceof ForbiddenKeyError)) throw error;
      assert.ok(expected !== null, `${text} was refused`);
      assert.equal(error.field, expected.path);
      assert.ok(error.field.split(/[.[\]]/).some(isForbiddenKey));
    }
    assertPrototypeClean(text);
  }
});

test('query strings: refused argument names are caught; the PDK keeps arguments in a Map', () => {
  const rnd = random(SEED + 3);
  for (let round = 0; round < ROUNDS; round++) {
    const names = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => argumentName(rnd));
    const query = names.map((n, i) => `${encodeURIComponent(n)}=${i}`).join('&');
    const bad = names.find(nameHasBadPart);
    let refused: ForbiddenKeyError | null = null;
    for (const name of new URLSearchParams(query).keys()) {
      try {
        checkArgumentName(name);
      } catch (error) {
        if (!(error instanceof ForbiddenKeyError)) throw error;
        refused ??= error;
      }
    }
    assert.equal(refused !== null, bad !== undefined, query);
    const args = parseQuery(query);
    assert.ok(args instanceof Map);
    assertPrototypeClean(query);
  }
});

test('declarative text (YAML and JSON): a refused key is an error naming its path and the file', () => {
  const rnd = random(SEED + 4);
  for (let round = 0; round < ROUNDS / 2; round++) {
    const key = word(rnd);
    const yaml = `_format_version: "3.0"\nservices:\n  - name: s${round}\n    ${key}:\n      x: 1\n`;
    const json = `{"_format_version":"3.0","services":[{"name":"s${round}",${JSON.stringify(key)}:{"x":1}}]}`;
    for (const [text, file] of [[yaml, 'kong.yml'], [json, 'kong.json']] as const) {
      const result = parseDeclarativeText(text, file);
      if (isForbiddenKey(key)) {
        assert.equal(result.ok, false, text);
        if (!result.ok) {
          assert.match(result.error, new RegExp(`'services\\[0\\]\\.${key}' in ${file.replace('.', '\\.')}`));
        }
      } else {
        assert.equal(result.ok, true, text);
      }
      assertPrototypeClean(text);
    }
  }
});
