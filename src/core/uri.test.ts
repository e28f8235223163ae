import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeUpstreamPath, normalizePath } from './uri.ts';

describe('normalizePath', () => {
  const cases: Array<[input: string, expected: string]> = [
    // nothing to do
    ['', ''],
    ['/', '/'],
    ['/a', '/a'],
    ['/a/', '/a/'],
    ['/a/b/c', '/a/b/c'],
    ['/a/b/c/', '/a/b/c/'],
    // reserved characters stay encoded, with upper-case hex
    ['/a%2Fb%2Fc/', '/a%2Fb%2Fc/'],
    ['/a%2fb%2fc/', '/a%2Fb%2Fc/'],
    [
      '/%20%21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
      '/ %21%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D',
    ],
    ['/a%3fb', '/a%3Fb'],
    ['/%25', '/%25'],
    ['/%2525', '/%2525'], // no double decoding
    // unreserved and other characters are decoded
    ['/f%6f%6f', '/foo'],
    ['/%6B%6f%6e%67', '/kong'],
    ['/users/%6aohn', '/users/john'],
    ['/a%20b', '/a b'],
    ['/%7e%2d%5f', '/~-_'],
    ['/%22%3C%3E', '/"<>'],
    // UTF-8
    ['/endel%C3%B8st', '/endeløst'],
    ['/caf%C3%A9', '/café'],
    ['/caf%c3%a9', '/café'],
    ['/%F0%9F%98%80', '/😀'],
    ['/%E2%82%AC', '/€'],
    // bytes that are not valid UTF-8 stay encoded (Kong would emit the raw byte)
    ['/%FF', '/%FF'],
    ['/%ff', '/%FF'],
    ['/%C3', '/%C3'],
    ['/%C3x', '/%C3x'],
    ['/%C0%AF', '/%C0%AF'], // overlong '/'
    ['/%ED%A0%80', '/%ED%A0%80'], // surrogate
    ['/%99%af%2f', '/%99%AF%2F'],
    // malformed triplets are left alone
    ['/%', '/%'],
    ['/%2', '/%2'],
    ['/%zz', '/%zz'],
    ['/%2G', '/%2G'],
    ['/a%', '/a%'],
    // dot segments
    ['/%2E', '/'],
    ['/./', '/'],
    ['/.', '/'],
    ['/..', '/'],
    ['/../', '/'],
    ['/./.././../', '/'],
    ['/a/b/c/./../../g', '/a/g'],
    ['mid/content=5/../6', 'mid/6'],
    ['/a/./b/../c', '/a/c'],
    ['/../foo', '/foo'],
    ['/public/../admin', '/admin'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/%2E%2E/b', '/b'],
    ['/a/%2e%2E/b', '/b'],
    ['/a/.%2e/b', '/b'],
    ['/route./req', '/route./req'],
    ['/route../req', '/route../req'],
    ['/route%2E/req', '/route./req'],
    ['/route%2E%2E/req', '/route../req'],
    ['/a/...', '/a/...'],
    ['/app.js', '/app.js'],
    ['/a.b/c.d/.e', '/a.b/c.d/.e'],
    ['/a/.../b/', '/a/.../b/'],
    ['/a/./', '/a/'],
    ['/a/b/./c/.', '/a/b/c/'],
    ['./a', 'a'],
    ['../a', 'a'],
    ['.', ''],
    ['..', ''],
    ['a/./b', 'a/b'],
    ['/.hidden', '/.hidden'],
    ['/a/..b/c', '/a/..b/c'],
    ['/a%2F..%2Fb', '/a%2F..%2Fb'], // encoded slashes are not separators
    // merged slashes
    ['//', '/'],
    ['/////', '/'],
    ['/a//b//', '/a/b/'],
    ['/foo//bar', '/foo/bar'],
    ['//a/..//b', '/b'],
    // the complex case from Kong's own test, with our UTF-8 handling of the two stray bytes
    ['/%C3%A4/a/%2e./a%2E//a/%2e/./a/../a/%2e%2E/%5f%99%af%2f%2F', '/ä/a./a/_%99%AF%2F%2F'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizePath(input), expected);
    });
  }

  it('is idempotent on its own output', () => {
    for (const [input] of cases) {
      const once = normalizePath(input);
      assert.equal(normalizePath(once), once, input);
    }
  });
});

describe('escapeUpstreamPath', () => {
  it('keeps reserved, unreserved and %', () => {
    const safe = "/!#$%&'()*+,/:;=?@[]ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
    assert.equal(escapeUpstreamPath(safe), safe);
  });
  it('escapes spaces and other ASCII', () => {
    assert.equal(escapeUpstreamPath('/a b/c d'), '/a%20b/c%20d');
    assert.equal(escapeUpstreamPath('/"<>\\^`{|}'), '/%22%3C%3E%5C%5E%60%7B%7C%7D');
    assert.equal(escapeUpstreamPath('/a\tb\x7f'), '/a%09b%7F');
  });
  it('escapes UTF-8 per byte', () => {
    assert.equal(escapeUpstreamPath('/a😀'), '/a%F0%9F%98%80');
    assert.equal(escapeUpstreamPath('/endeløst'), '/endel%C3%B8st');
    assert.equal(escapeUpstreamPath('/€'), '/%E2%82%AC');
    assert.equal(escapeUpstreamPath('/\u07ff'), '/%DF%BF');
  });
  it('replaces a lone surrogate', () => {
    assert.equal(escapeUpstreamPath('/\ud800x'), '/%EF%BF%BDx');
  });
  it('keeps existing escapes', () => {
    assert.equal(escapeUpstreamPath('/a%2Fb'), '/a%2Fb');
  });
  it('round-trips with normalizePath', () => {
    for (const raw of ['/caf%C3%A9', '/a%20b', '/%F0%9F%98%80/x', '/%FF%2F', '/%22q%22']) {
      const escaped = escapeUpstreamPath(normalizePath(raw));
      assert.equal(normalizePath(escaped), normalizePath(raw), raw);
    }
    assert.equal(escapeUpstreamPath(normalizePath('/caf%c3%a9')), '/caf%C3%A9');
    assert.equal(escapeUpstreamPath(normalizePath('/%ff')), '/%FF');
  });
});
