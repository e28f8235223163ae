import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultipartBody } from './multipart.ts';

const body = (b: string) => Buffer.from(b, 'latin1');

test('parts are found, removed and set; file parts keep their bytes and headers', () => {
  const raw =
    '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n' +
    '--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n\r\n' +
    '--b--\r\n';
  const mp = MultipartBody.parse(body(raw), 'multipart/form-data; boundary=b')!;
  assert.equal(mp.get('a'), '1');
  assert.equal(mp.has('f'), true);
  mp.setSimple('a', 'é');
  mp.setSimple('new', 'v');
  const out = mp.toBuffer().toString('latin1');
  assert.ok(out.includes('filename="x"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n\r\n--b'));
  assert.ok(out.includes('name="a"\r\n\r\n\u00c3\u00a9\r\n'), 'UTF-8 values');
  mp.delete('f');
  assert.equal(mp.has('f'), false);
  assert.ok(mp.toBuffer().toString('latin1').endsWith('name="new"\r\n\r\nv\r\n--b--\r\n'));
});

test('a quoted boundary; no boundary; an empty body', () => {
  assert.equal(MultipartBody.parse(body('--x y\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n--x y--'), 'multipart/form-data; boundary="x y"')!.get('k'), 'v');
  assert.equal(MultipartBody.parse(body(''), 'multipart/form-data'), null);
  assert.equal(MultipartBody.parse(body(''), 'multipart/form-data; boundary=z')!.toBuffer().toString(), '--z--\r\n');
});
