import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfText, stripComment } from './conf-file.ts';

function entries(text: string): Record<string, string> {
  const parsed = parseConfText(text);
  assert.deepEqual(parsed.problems, []);
  return Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]));
}

test('key = value lines, trimmed, with line numbers', () => {
  const parsed = parseConfText('log_level = debug\n\n   proxy_listen=0.0.0.0:9000  \n');
  assert.deepEqual(parsed.entries, [
    { key: 'log_level', value: 'debug', line: 1 },
    { key: 'proxy_listen', value: '0.0.0.0:9000', line: 3 },
  ]);
  assert.deepEqual(parsed.problems, []);
});

test('lines starting with # or ; are comments, even when indented', () => {
  assert.deepEqual(entries('# log_level = debug\n  ; role = data_plane\n   #x=y\nrole = traditional'), { role: 'traditional' });
});

test('a trailing # starts a comment and takes the whitespace before it', () => {
  assert.deepEqual(entries('log_level = info   # chatty\nheaders = off#none'), { log_level: 'info', headers: 'off' });
});

test('\\# is a literal #', () => {
  assert.deepEqual(entries('pg_password = abc\\#def # the comment'), { pg_password: 'abc#def' });
  assert.equal(stripComment('a\\#b#c'), 'a#b');
});

test('only the first = separates key and value', () => {
  assert.deepEqual(entries('declarative_config_string = {"a":"b=c"}'), { declarative_config_string: '{"a":"b=c"}' });
});

test('quotes are kept as part of the value, as Kong does', () => {
  assert.deepEqual(entries(`pg_password = "secret"\npg_user = 'me'`), { pg_password: '"secret"', pg_user: "'me'" });
});

test('an empty value is kept as empty', () => {
  assert.deepEqual(entries('trusted_ips =\nnode_id =   # nothing'), { trusted_ips: '', node_id: '' });
});

test('a trailing backslash continues the value on the next line', () => {
  const parsed = parseConfText('proxy_listen = 0.0.0.0:8000, \\\n  0.0.0.0:8443 ssl\nrole = traditional');
  assert.deepEqual(parsed.entries, [
    { key: 'proxy_listen', value: '0.0.0.0:8000,   0.0.0.0:8443 ssl', line: 1 },
    { key: 'role', value: 'traditional', line: 3 },
  ]);
});

test('comment lines inside a continued value are skipped', () => {
  assert.deepEqual(entries('trusted_ips = 10.0.0.0/8, \\\n# explain\n 192.168.0.0/16'), { trusted_ips: '10.0.0.0/8,  192.168.0.0/16' });
});

test('a continuation on the last line still yields the entry', () => {
  assert.deepEqual(entries('log_level = info \\'), { log_level: 'info' });
});

test('non-alphanumeric key characters become underscores', () => {
  assert.deepEqual(entries('proxy-listen = off\nlog.level = info'), { proxy_listen: 'off', log_level: 'info' });
});

test('the last line for a key wins', () => {
  const parsed = parseConfText('log_level = info\nlog_level = warn');
  assert.equal(parsed.entries.at(-1)?.value, 'warn');
  assert.equal(parsed.entries.length, 2);
});

test('CRLF line endings and a BOM are tolerated', () => {
  assert.deepEqual(entries('\uFEFFlog_level = info\r\nrole = data_plane\r\n'), { log_level: 'info', role: 'data_plane' });
});

test('a line without = is a problem with its line number', () => {
  const parsed = parseConfText('log_level = info\n[section]\njust words');
  assert.deepEqual(parsed.problems, [
    { line: 2, message: `expected 'key = value', got '[section]'` },
    { line: 3, message: `expected 'key = value', got 'just words'` },
  ]);
  assert.equal(parsed.entries.length, 1);
});

test('a line with no key before = is a problem', () => {
  assert.deepEqual(parseConfText('  = value').problems, [{ line: 1, message: `missing property name before '=' in '= value'` }]);
});
