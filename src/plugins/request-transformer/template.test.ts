import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, TemplateError, TemplateRenderError, type TemplateSource } from './template.ts';

const source = (over: Partial<Record<keyof TemplateSource, Record<string, unknown>>> = {}): TemplateSource => ({
  headers: () => over.headers ?? { host: 'example.test', 'x-foo': ['1', '2'], 'x-one': 'a', 'user-agent': 'curl' },
  query_params: () => over.query_params ?? { q: 'search', flag: true, n: '20' },
  uri_captures: () => over.uri_captures ?? { 0: '/users/42', 1: '42', user: '42' },
  shared: () => over.shared ?? { version: '1.2.3' },
});

const render = (text: string, s = source()) => compileTemplate(text).render(s);

test('plain text and literal dollars render as they are', () => {
  assert.equal(render('plain'), 'plain');
  assert.equal(render('costs $5 (or $(nil))'), 'costs $5 (or )');
  assert.equal(compileTemplate('abc').constant, 'abc');
});

test('the roots, with dots, brackets and Lua list indexes', () => {
  assert.equal(render('$(headers.host)'), 'example.test');
  assert.equal(render('$(headers["X-One"])'), 'a', 'headers are case-insensitive');
  assert.equal(render("$(headers['user_agent'])"), 'curl', 'underscores match dashes');
  assert.equal(render('$(headers["x-foo"][1])-$(headers["x-foo"][2])'), '1-2');
  assert.equal(render('$(headers["x-foo"])'), '1, 2', 'a list renders joined');
  assert.equal(render('$(query_params.q)/$(query_params.flag)'), 'search/true');
  assert.equal(render('/users/$(uri_captures.user)$(uri_captures[0])'), '/users/42/users/42');
  assert.equal(render('$(uri_captures[1])'), '42');
  assert.equal(render('$(shared.version)'), '1.2.3');
});

test("missing values render as nothing; 'or' gives defaults", () => {
  assert.equal(render('[$(headers.nope)]'), '[]');
  assert.equal(render("$(uri_captures.other or 'default1')"), 'default1');
  assert.equal(render('$(query_params.nope or headers.host)'), 'example.test');
  assert.equal(render('$(false)'), '');
});

test("Kong's documented type() idiom for repeated headers", () => {
  const t = '$(type(headers["X-Foo"]) == "table" and headers["X-Foo"][1] .. "-first" or headers["X-Foo"])';
  assert.equal(render(t), '1-first');
  assert.equal(render(t, source({ headers: { 'x-foo': 'only' } })), 'only');
  assert.equal(render('$(type(nil))|$(type(1))|$(tostring(nil))|$(not headers.nope)'), 'nil|number|nil|true');
  assert.equal(render("$(headers.host ~= 'x' and 'yes')"), 'yes');
});

test('a template can be escaped by a string literal', () => {
  assert.equal(render("$('$(uri_captures.user1)')"), '$(uri_captures.user1)');
  assert.equal(render('$([[a)b]])'), 'a)b');
  assert.equal(render('$("a\\"b")'), 'a"b');
});

test('each root is read once per render', () => {
  let reads = 0;
  const s: TemplateSource = { ...source(), headers: () => (reads++, { a: '1', b: '2' }) };
  assert.equal(compileTemplate('$(headers.a)$(headers.b)$(headers.a)').render(s), '121');
  assert.equal(reads, 1);
});

test('no code runs: names, calls, assignments and operators outside the subset are refused', () => {
  const refused = [
    "$(require('os').execute('id'))",
    '$(os.execute("id"))',
    '$(process.exit())',
    '$(shared.written = true)',
    '$(ERROR())',
    '$(10 * uri_captures.user)',
    '$(headers.constructor.constructor("return process")())',
    '$(string.sub(query_params.user, 1, 3))',
    '$(_G)',
    '$(load("x"))',
    '$(function() end)',
    '$(`x`)',
    '$(headers; x)',
    '$()',
    '$(headers.host',
    '$("unterminated)',
    '$(headers["a"]',
    '$(' + '('.repeat(200) + 'nil' + ')'.repeat(200) + ')',
    '$(' + 'not '.repeat(100) + 'nil)',
  ];
  for (const text of refused) assert.throws(() => compileTemplate(text), TemplateError, text);
});

test('prototype members and non-data values are nil', () => {
  assert.equal(render('[$(headers.constructor)][$(headers.__proto__)][$(shared.toString)][$(query_params.hasOwnProperty)]'), '[][][][]');
  const shared = { fn: () => 'ran', obj: { deep: 'ok' } };
  assert.equal(render('[$(shared.fn)][$(shared.obj.deep)]', source({ shared })), '[][ok]');
  assert.equal(render('$(headers["x-foo"].length)$(headers["x-foo"][0])$(headers["x-foo"][3])'), '');
});

test('errors at render time are those of Lua: indexing or concatenating nil', () => {
  assert.throws(() => render('$(headers.nope.deeper)'), TemplateRenderError);
  assert.throws(() => render('$(headers.nope .. "x")'), TemplateRenderError);
  assert.equal(render('$(1 .. 2)'), '12');
});
