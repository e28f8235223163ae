import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFormArguments, parseArgumentName } from './form-decoder.ts';

const decode = (query: string) => decodeFormArguments(new URLSearchParams(query));

test('plain names stay flat; a single value stays a string', () => {
  assert.deepEqual(decode('name=example_service&url=http://httpbin.org'), { name: 'example_service', url: 'http://httpbin.org' });
});

test('dotted names nest objects', () => {
  assert.deepEqual(decode('config.minute=5&config.hour=100&service.id=abc'), {
    config: { minute: '5', hour: '100' },
    service: { id: 'abc' },
  });
  assert.deepEqual(decode('a.b.c=v'), { a: { b: { c: 'v' } } });
});

test('repeated names become an array in request order', () => {
  assert.deepEqual(decode('hosts=a.test&hosts=b.test'), { hosts: ['a.test', 'b.test'] });
});

test('x[] appends and x[n] places (1-based), whatever the order they come in', () => {
  assert.deepEqual(decode('paths[]=/a&paths[]=/b'), { paths: ['/a', '/b'] });
  assert.deepEqual(decode('hosts[2]=b.test&hosts[1]=a.test'), { hosts: ['a.test', 'b.test'] });
  assert.deepEqual(decode('paths[]=/only'), { paths: ['/only'] });
});

test('x[key] builds a map, also below a dotted name', () => {
  assert.deepEqual(decode('headers[x-version]=1&headers[x-team]=a'), { headers: { 'x-version': '1', 'x-team': 'a' } });
  assert.deepEqual(decode('config.headers[x-a]=1'), { config: { headers: { 'x-a': '1' } } });
  // A dot inside brackets is part of the key.
  assert.deepEqual(decode('m[a.b]=1'), { m: { 'a.b': '1' } });
});

test('arrays of records and nested arrays', () => {
  assert.deepEqual(decode('a[1].b=x&a[2].b=y'), { a: [{ b: 'x' }, { b: 'y' }] });
  assert.deepEqual(decode('config.allow[]=x&config.allow[]=y'), { config: { allow: ['x', 'y'] } });
});

test('percent-encoded brackets work like brackets', () => {
  assert.deepEqual(decode('paths%5B%5D=/a&paths%5B%5D=/b'), { paths: ['/a', '/b'] });
});

test('names that start or end with a dot, or have an unclosed bracket, are literal', () => {
  assert.deepEqual(decode('.hidden=1&trailing.=2&open[x=3'), { '.hidden': '1', 'trailing.': '2', 'open[x': '3' });
  assert.equal(parseArgumentName('plain'), null);
  assert.deepEqual(parseArgumentName('x[]'), { root: 'x', segments: [{ kind: 'push' }] });
});

test('the top level stays an object even when names look like positions', () => {
  assert.deepEqual(decode('1=a&2=b'), { '1': 'a', '2': 'b' });
});
