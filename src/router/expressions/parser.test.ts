/** Parser, type rules and route checks of the expressions language (messages as atc-router and Kong word them). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpression, ExpressionSyntaxError } from './parser.ts';
import { checkExpression, expressionRouteError } from './compile.ts';
import { traditionalExpression, quoteString } from './transform.ts';
import { toRouterEntry } from '../test-support/cases.ts';

function syntaxError(source: string): string {
  try {
    parseExpression(source);
  } catch (error) {
    assert.ok(error instanceof ExpressionSyntaxError);
    return error.message;
  }
  return assert.fail(`'${source}' parsed`);
}

describe('expressions parser', () => {
  it('reports errors with line, column and caret like atc-router', () => {
    assert.equal(syntaxError('! a == 1'), ' --> 1:1\n  |\n1 | ! a == 1\n  | ^---\n  |\n  = expected term');
    assert.equal(syntaxError('a == 1 || ! b == 2'), ' --> 1:11\n  |\n1 | a == 1 || ! b == 2\n  |           ^---\n  |\n  = expected term');
    assert.equal(
      syntaxError('(a == 1 || b == 2) && ! c == 3'),
      ' --> 1:23\n  |\n1 | (a == 1 || b == 2) && ! c == 3\n  |                       ^---\n  |\n  = expected term',
    );
    assert.match(syntaxError('(http.method == "GET") &&'), /^ --> 1:26\n[\s\S]*= expected term$/);
    assert.match(syntaxError('http.path = "/"'), /--> 1:11[\s\S]*= expected binary_operator$/);
    assert.match(syntaxError('http.path == /foo'), /--> 1:14[\s\S]*= expected rhs$/);
    assert.match(syntaxError('http.path == "/foo" x'), /--> 1:21[\s\S]*= expected EOI, and_op, or or_op$/);
    assert.match(syntaxError('(http.path == "/foo"'), /= expected and_op or or_op$/);
    assert.match(syntaxError('http.path == "a\\qb"'), /= expected rhs$/);
    assert.match(syntaxError(''), /--> 1:1[\s\S]*= expected term$/);
  });

  it('points into the right line of a multi-line expression and underlines spans', () => {
    const message = syntaxError('http.method == "GET" &&\n  upper(http.path) == "/x"');
    assert.match(message, /^ --> 2:3\n  \|\n2 \|   upper\(http\.path\) == "\/x"\n  \|   \^--------------\^\n  \|\n  = unknown transformation function: upper$/);
    assert.match(syntaxError('net.src.ip in 1.2.3.4/16'), /\^--------\^\n[\s\S]*= host part of address was not zero$/);
    assert.match(syntaxError('http.path ~ "/[abc/*/user$"'), /= regex parse error: /);
    assert.match(syntaxError('http.path ~ 10'), /= regex operator can only be used with String operands$/);
    // The project's regex path refuses what it cannot bound (here: nested repetition with (?i)).
    assert.match(syntaxError('http.path ~ r#"(?i)(a+)+$"#'), /= regex parse error: regex "\(\?i\)\(a\+\)\+\$" can backtrack catastrophically/);
    assert.match(syntaxError('net.src.port == 99999999999999999999'), /= number too large to fit in target type$/);
  });

  it('reads literals: escapes, raw strings, integers in three bases, addresses and blocks', () => {
    const rhs = (source: string) => {
      const parsed = parseExpression(source);
      assert.equal(parsed.kind, 'predicate');
      return parsed.kind === 'predicate' ? parsed.rhs : null;
    };
    assert.deepEqual(rhs('x == "a\\"b\\\\c\\n\\t\\r"'), { type: 'String', value: 'a"b\\c\n\t\r' });
    assert.deepEqual(rhs('x == r#"a"b\\d"#'), { type: 'String', value: 'a"b\\d' });
    assert.deepEqual(rhs('x == 0x1f'), { type: 'Int', value: 31 });
    assert.deepEqual(rhs('x == 0751'), { type: 'Int', value: 489 });
    assert.deepEqual(rhs('x == -12'), { type: 'Int', value: -12 });
    assert.deepEqual(rhs('x == 09'), { type: 'Int', value: 9 });
    assert.equal(rhs('x == 10.0.0.1')?.type, 'IpAddr');
    assert.equal(rhs('x in 10.0.0.0/8')?.type, 'IpCidr');
    assert.equal(rhs('x == fd00::1')?.type, 'IpAddr');
    assert.equal(rhs('x in fd00::/8')?.type, 'IpCidr');
  });

  it("gives '||' precedence over '&&', both left-associative", () => {
    const tree = parseExpression('a == 1 && b == 2 || c == 3');
    assert.equal(tree.kind, 'and');
    if (tree.kind === 'and') assert.equal(tree.right.kind, 'or');
    const other = parseExpression('a == 1 || b == 2 && c == 3');
    assert.equal(other.kind, 'and');
    if (other.kind === 'and') assert.equal(other.left.kind, 'or');
  });

  it('accepts transformations, whitespace and `not in` spelled with any spacing', () => {
    assert.equal(checkExpression('any( lower( http.headers.x ) ) == "a"', 'http').ok, true);
    assert.equal(checkExpression('net.src.ip not   in 10.0.0.0/8', 'http').ok, true);
    assert.equal(checkExpression('net.src.ip notin 10.0.0.0/8', 'http').ok, true);
  });
});

describe('expressions type rules', () => {
  const error = (source: string, subsystem: 'http' | 'stream' = 'http') => {
    const checked = checkExpression(source, subsystem);
    return checked.ok ? null : checked.message;
  };
  it('uses atc-router messages', () => {
    assert.equal(error('unkn == "abc"'), 'Unknown LHS field');
    assert.equal(error('http.headers.a.b == "x"'), 'Unknown LHS field');
    assert.equal(error('http.path == 1'), 'Type mismatch between the LHS and RHS values of predicate');
    assert.equal(error('lower(net.src.port) == 1'), 'lower-case transformation function only supported with String type fields');
    assert.equal(error('net.src.port ~ "1"'), 'Regex operators only supports string operands');
    assert.equal(error('net.src.ip ^= 1.2.3.4'), 'Prefix/Postfix operators only supports string operands');
    assert.equal(error('http.path > "a"'), 'Greater/GreaterOrEqual/Less/LessOrEqual operators only supports integer operands');
    assert.equal(error('net.src.ip in 1.2.3.4'), 'In/NotIn operators only supports IP in CIDR');
    assert.equal(error('http.path in 10.0.0.0/8'), 'In/NotIn operators only supports IP in CIDR');
    assert.equal(error('net.src.port contains 1'), 'Contains operator only supports string operands');
    assert.equal(error('http.method == "GET"', 'stream'), 'Unknown LHS field');
    assert.equal(error('net.src.ip == 1.2.3.4 && net.src.port == 80', 'stream'), null);
  });
  it("checks http.path.segments names like Kong", () => {
    for (const ok of ['http.path.segments.0 == "foo"', 'http.path.segments.1 ^= "bar"', 'http.path.segments.20_30 ~ r#"x/y"#', 'http.path.segments.len == 10']) {
      assert.equal(error(ok), null, ok);
    }
    for (const bad of ['len0', 'len_a', 'abc', 'a_c', '1_2_3', '1_', '_1', '2_1', '1_1', '01_2', '001_2', '1_03']) {
      assert.equal(error(`http.path.segments.${bad} == "foo"`), 'illformed http.path.segments.* field', bad);
    }
    assert.equal(error('http.path.segments.len == "10"'), 'Type mismatch between the LHS and RHS values of predicate');
  });
});

describe('expressions route check (routes schema under the expressions flavor)', () => {
  const base = { protocols: ['http'], regex_priority: 0, priority: 0 };
  it('accepts an expression route and a traditional route', () => {
    assert.equal(expressionRouteError({ ...base, expression: 'http.method == "GET"', priority: 100 }), null);
    assert.equal(expressionRouteError({ ...base, paths: ['/ovo'], sources: [{ ip: '127.0.0.1' }] }), null);
  });
  it('refuses mixing expression with traditional fields, regex_priority, or priority without expression', () => {
    for (const field of ['methods', 'hosts', 'paths', 'snis']) {
      assert.equal(
        expressionRouteError({ ...base, expression: 'http.method == "GET"', [field]: ['x'] }),
        "Router Expression failed validation: cannot set 'expression' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously",
      );
    }
    assert.equal(
      expressionRouteError({ ...base, expression: 'http.method == "GET"', regex_priority: 100 }),
      "Router Expression failed validation: cannot set 'regex_priority' with 'expression' simultaneously",
    );
    assert.equal(
      expressionRouteError({ ...base, hosts: ['example.com'], priority: 100 }),
      "Router Expression failed validation: cannot set 'priority' with 'methods', 'hosts', 'paths', 'headers', 'snis', 'sources' or 'destinations' simultaneously",
    );
  });
  it('reports parse and type errors with the prefix Kong puts on them', () => {
    assert.match(expressionRouteError({ ...base, expression: '(http.method == "GET") &&' }) ?? '', /^Router Expression failed validation:  --> 1:26/);
    assert.equal(
      expressionRouteError({ ...base, protocols: ['tcp'], expression: 'http.method == "GET" && net.src.ip == 1.2.3.4' }),
      'Router Expression failed validation: Unknown LHS field',
    );
    assert.equal(expressionRouteError({ ...base, protocols: ['grpc'], expression: 'http.method == "GET" && net.port == 8000' }), null);
  });
});

describe('translation of traditional routes (Kong transform.lua)', () => {
  it('writes the expression Kong writes', () => {
    const route = toRouterEntry(
      { id: 'r', methods: ['GET'], hosts: ['a.test', '*.b.test', 'c.test:8080'], headers: { 'X-Version': ['V1', '~*v2\\d'] }, snis: ['s.test'] },
      0,
    ).route;
    assert.equal(
      traditionalExpression(route, ['~/u/(?<id>\\d+)', '~/v']),
      '(net.protocol != r#"https"# || (tls.sni == r#"s.test"#)) && (http.method == r#"GET"#) && ' +
        '(http.host == r#"a.test"# || http.host =^ r#".b.test"# || (http.host == r#"c.test"# && net.dst.port == 8080)) && ' +
        '(http.path ~ r#"^/u/(?P<id>\\d+)"# || http.path ~ r#"^/v"#) && ' +
        '(any(lower(http.headers.x_version)) == r#"v1"# || any(lower(http.headers.x_version)) ~ r#"v2\\d"#)',
    );
    assert.equal(quoteString('a"#b\\'), '"a\\"#b\\\\"');
  });
});
