import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileHeaderRegex, compileRouteRegex } from './regex.ts';

function matched(source: string, subject: string): string | null {
  const result = compileRouteRegex(source).exec(subject);
  return result === null ? null : result[0];
}

describe('compileRouteRegex', () => {
  it('anchors at the start only', () => {
    assert.equal(matched('/users/\\d+', '/users/123abc'), '/users/123');
    assert.equal(matched('/users/\\d+', '/x/users/123'), null);
    assert.equal(matched('/users/\\d+$', '/users/123abc'), null);
    assert.equal(matched('/users/\\d+$', '/users/123'), '/users/123');
  });
  it('anchors every alternative', () => {
    assert.equal(matched('/a|/b', '/xx/b'), null);
    assert.equal(matched('/a|/b', '/b/c'), '/b');
  });
  it('has no state between calls', () => {
    const regex = compileRouteRegex('/a');
    assert.equal(regex.test('/a'), true);
    assert.equal(regex.test('/a'), true);
    assert.equal(regex.global || regex.sticky, false);
  });
  it('is case-sensitive and greedy', () => {
    assert.equal(matched('/Foo', '/foo'), null);
    assert.equal(matched('/.*', '/a/b/c'), '/a/b/c');
  });
  it('accepts (?P<name> and (?<name> groups, numbered like PCRE', () => {
    const python = compileRouteRegex('/(?P<user>\\w+)/(\\d+)').exec('/bob/42');
    assert.equal(python?.groups?.user, 'bob');
    assert.equal(python?.[1], 'bob');
    assert.equal(python?.[2], '42');
    assert.equal(compileRouteRegex('/(?<id>\\d+)').exec('/7')?.groups?.id, '7');
  });
  it('translates named and numbered back references', () => {
    assert.equal(matched('/(?P<x>a+)-(?P=x)$', '/aa-aa'), '/aa-aa');
    assert.equal(matched('/(?P<x>a+)-(?P=x)$', '/aa-a'), null);
    assert.equal(matched('/(a)\\g1$', '/aa'), '/aa');
    assert.equal(matched('/(a)\\g{1}$', '/aa'), '/aa');
    assert.equal(matched('/(?<n>a)\\g{n}$', '/aa'), '/aa');
  });
  it('translates PCRE anchors and escapes', () => {
    assert.equal(matched('\\A/a\\z', '/a'), '/a');
    assert.equal(matched('\\A/a\\z', '/ab'), null);
    assert.equal(matched('/a\\Z', '/a\n'), '/a');
    assert.equal(matched('/a\\h\\Hb', '/a x'), null);
    assert.equal(matched('/a\\h\\Hb', '/a xb'), '/a xb');
    assert.equal(matched('/\\Q.*+\\E$', '/.*+'), '/.*+');
    assert.equal(matched('/\\Q.*+\\E$', '/abc'), null);
    assert.equal(matched('/\\Q.*', '/.*'), '/.*');
  });
  it('translates POSIX classes and a leading ]', () => {
    assert.equal(matched('/[[:digit:]]+', '/123a'), '/123');
    assert.equal(matched('/[[:alpha:]_]+', '/ab_1'), '/ab_');
    assert.equal(matched('/[]a]+', '/]a]b'), '/]a]');
    assert.equal(matched('/[^]a]+', '/bc]'), '/bc');
  });
  it('keeps escaped brackets inside classes', () => {
    assert.equal(matched('/[\\]x]+', '/]x]y'), '/]x]');
    assert.equal(matched('/[a[]+', '/a[a'), '/a[a');
  });
  it('supports leading inline flags and comments', () => {
    assert.equal(matched('(?i)/foo', '/FOO'), '/FOO');
    assert.equal(matched('(?s)/a.b', '/a\nb'), '/a\nb');
    assert.equal(matched('/a(?#comment)b', '/ab'), '/ab');
    assert.equal(matched('/(?i:foo)Bar', '/FOOBar'), '/FOOBar');
  });
  it('approximates atomic groups and possessive quantifiers', () => {
    assert.equal(matched('/(?>a+)b', '/aab'), '/aab');
    assert.equal(matched('/a++b', '/aab'), '/aab');
    assert.equal(matched('/\\d{2}+x', '/12x'), '/12x');
    assert.equal(matched('/a?+b', '/ab'), '/ab');
    assert.equal(matched('/\\++', '/++'), '/++'); // escaped + is not a quantifier
  });
  it('keeps a literal { like PCRE', () => {
    assert.equal(matched('/a{b}', '/a{b}'), '/a{b}');
  });
  it('reports syntax errors like PCRE2', () => {
    const cases: Array<[string, string]> = [
      ['/users/(foo/profile', 'missing closing parenthesis'],
      ['/a)', 'unmatched closing parenthesis'],
      ['/a)|(b', 'unmatched closing parenthesis'],
      ['*a', 'quantifier does not follow a repeatable item'],
      ['/[a', 'missing terminating ] for character class'],
      ['/a{3,2}', 'numbers out of order in {} quantifier'],
      ['/[z-a]', 'range out of order in character class'],
      ['/a\\', '\\ at end of pattern'],
      ['/(?<a>x)(?<a>y)', 'two named subpatterns have the same name (PCRE2_DUPNAMES not set)'],
      ['/(?<1a>x)', 'subpattern name expected'],
    ];
    for (const [source, reason] of cases) {
      assert.throws(
        () => compileRouteRegex(source),
        (error: unknown) => error instanceof Error && error.message === `pcre2_compile() failed: ${reason} in "${source}"`,
        source,
      );
    }
  });
  it('rejects PCRE features JavaScript cannot express', () => {
    for (const source of ['/(a|(?R))', '/(?1)', '/a\\Kb', '/(?|a)', '/(*FAIL)', '(?x) /a', '/(a)\\g{-1}', '/[[:^digit:]]', '/[[:nope:]]']) {
      assert.throws(() => compileRouteRegex(source), /^Error|pcre2_compile\(\) failed/, source);
    }
  });
});

describe('compileHeaderRegex', () => {
  it('searches anywhere in the value', () => {
    const regex = compileHeaderRegex('ver\\d');
    assert.equal(regex.test('api ver2 beta'), true);
    assert.equal(regex.test('version'), false);
    assert.equal(regex.test('ver3'), true);
  });
  it('keeps the case of the pattern', () => {
    assert.equal(compileHeaderRegex('ABC').test('abc'), false);
  });
  it('reports syntax errors like PCRE2', () => {
    assert.throws(() => compileHeaderRegex('(a'), /^PcreSyntaxError: |pcre2_compile\(\) failed: missing closing parenthesis in "\(a"/);
  });
});

describe('bounded matching cost', () => {
  it('finds a group repeated without bound around an unbounded repetition', async () => {
    const { nestedRepetition } = await import('./regex.ts');
    assert.equal(nestedRepetition('/redos/(a+)+$'), '(a+)+');
    assert.equal(nestedRepetition('^(?:x*y?)*z'), '(?:x*y?)*');
    assert.equal(nestedRepetition('(a{2,})+'), '(a{2,})+');
    assert.equal(nestedRepetition('((ab)*c)*'), '((ab)*c)*');
    assert.equal(nestedRepetition('/users/(\\d+)/orders/(\\d+)$'), null);
    assert.equal(nestedRepetition('/(a+)?/([a-z+*]+)'), null, 'quantifiers inside a class or an optional group are not nested repetition');
    assert.equal(nestedRepetition('/\\(+\\)+'), null, 'escaped parentheses are not groups');
  });
  it('refuses an exponential pattern that cannot run on the linear-time engine, with a clear error', () => {
    assert.throws(() => compileRouteRegex('/redos/(a+)+\\1$'), /regex "\/redos\/\(a\+\)\+\\1\$" can backtrack catastrophically: "\(a\+\)\+" repeats a repeated pattern, and its back-references keep it off the linear-time engine/);
    assert.throws(() => compileRouteRegex('/redos/(?=a)(a+)+$'), /lookahead assertions/);
    assert.throws(() => compileHeaderRegex('(?i)(a|b+)*c'), /case-insensitive matching/);
  });
  it('accepts exponential shapes the linear-time engine bounds, and safe patterns of any kind', () => {
    assert.equal(compileRouteRegex('/redos/(a+)+$').test('/redos/aaa'), true);
    assert.equal(compileRouteRegex('/(?<a>x)\\k<a>/\\d+').test('/xx/1'), true);
    assert.equal(compileHeaderRegex('(?i)^v\\d+$').test('V2'), true);
  });
  it('translates \\A and \\z to anchors the linear-time engine runs', () => {
    assert.equal(compileRouteRegex('/x\\z').source, '^(?:\\/x$)');
    assert.equal(compileHeaderRegex('\\Aab').test('ab'), true);
    assert.equal(compileHeaderRegex('\\Aab').test('cab'), false);
  });
});
