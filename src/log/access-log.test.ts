import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessLog, type AccessRecord } from './access-log.ts';

const record: AccessRecord = {
  clientIp: '10.0.0.1',
  method: 'GET',
  url: '/a?b="c"',
  httpVersion: '1.1',
  status: 200,
  bytesSent: 12,
  referer: undefined,
  userAgent: 'ua "quoted"',
  requestId: '0123456789abcdef0123456789abcdef',
};

function capture(format: 'kong' | 'json'): string[] {
  const lines: string[] = [];
  new AccessLog({ write: (l) => void lines.push(l), flush() {}, close() {} }, format).write(record);
  return lines;
}

test('kong format: the combined line with the request id', () => {
  assert.match(capture('kong')[0], /^10\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/a\?b="c" HTTP\/1\.1" 200 12 "-" "ua "quoted"" request_id: "0123456789abcdef0123456789abcdef"\n$/);
});

test('json format: one parseable object a line, with the request id', () => {
  const [line] = capture('json');
  assert.ok(line.endsWith('\n'));
  const o = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual({ ...o, time: 'T' }, {
    time: 'T',
    client_ip: '10.0.0.1',
    method: 'GET',
    uri: '/a?b="c"',
    http_version: '1.1',
    status: 200,
    bytes_sent: 12,
    referer: null,
    user_agent: 'ua "quoted"',
    request_id: '0123456789abcdef0123456789abcdef',
  });
});
