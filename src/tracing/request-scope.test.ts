import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INSTRUMENT } from './instrumentations.ts';
import { inScope, needsScope, runInScope, runOutsideScope, scopedTrace } from './request-scope.ts';
import { RequestTrace } from './trace.ts';

test('a request enters its scope once; work run outside it (or after its spans ended) finds no trace', async () => {
  const a = new RequestTrace(INSTRUMENT.db_query, Date.now(), 1);
  const b = new RequestTrace(INSTRUMENT.db_query, Date.now(), 1);
  const router = new RequestTrace(INSTRUMENT.router, Date.now(), 1);
  assert.equal(needsScope(null), false);
  assert.equal(needsScope(router), false, 'nothing scoped is instrumented');
  assert.equal(needsScope(a), true);
  await runInScope(a, async () => {
    assert.equal(needsScope(a), false, 'already in its scope');
    assert.equal(needsScope(b), true, "another request's scope is not this one's");
    assert.equal(inScope(a), true);
    await Promise.resolve();
    assert.equal(scopedTrace(INSTRUMENT.db_query), a, 'kept across an await');
    assert.equal(scopedTrace(INSTRUMENT.http_client), null, 'only what the trace records');
    runOutsideScope(() => {
      assert.equal(scopedTrace(INSTRUMENT.db_query), null);
      assert.equal(inScope(a), false);
    });
    a.finalize(Date.now(), 200, null);
    assert.equal(scopedTrace(INSTRUMENT.db_query), null, 'its spans ended');
  });
  assert.equal(scopedTrace(INSTRUMENT.db_query), null);
});
