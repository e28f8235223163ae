import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorMatches } from './gateway-acceptance.ts';

test('a LabelSelector matches as Kubernetes matches it', () => {
  const labels = { team: 'web', tier: 'front' };
  assert.equal(selectorMatches({}, labels), true, 'an empty selector selects everything');
  assert.equal(selectorMatches({ matchLabels: { team: 'web' } }, labels), true);
  assert.equal(selectorMatches({ matchLabels: { team: 'web', tier: 'back' } }, labels), false, 'every label must match');
  assert.equal(selectorMatches({ matchLabels: { owner: 'x' } }, labels), false);
  const expr = (operator: string, key: string, values?: string[]) => ({ matchExpressions: [{ key, operator, ...(values === undefined ? {} : { values }) }] });
  assert.equal(selectorMatches(expr('In', 'team', ['web', 'api']), labels), true);
  assert.equal(selectorMatches(expr('In', 'team', ['api']), labels), false);
  assert.equal(selectorMatches(expr('In', 'owner', ['x']), labels), false, 'In needs the label');
  assert.equal(selectorMatches(expr('NotIn', 'team', ['api']), labels), true);
  assert.equal(selectorMatches(expr('NotIn', 'team', ['web']), labels), false);
  assert.equal(selectorMatches(expr('NotIn', 'owner', ['x']), labels), true, 'NotIn holds without the label');
  assert.equal(selectorMatches(expr('Exists', 'tier'), labels), true);
  assert.equal(selectorMatches(expr('Exists', 'owner'), labels), false);
  assert.equal(selectorMatches(expr('DoesNotExist', 'owner'), labels), true);
  assert.equal(selectorMatches(expr('DoesNotExist', 'tier'), labels), false);
  assert.equal(selectorMatches(expr('Gt', 'tier', ['1']), labels), false, 'an unknown operator selects nothing');
  assert.equal(selectorMatches({ matchLabels: { team: 'web' }, ...expr('Exists', 'owner') }, labels), false, 'labels and expressions both hold');
});
