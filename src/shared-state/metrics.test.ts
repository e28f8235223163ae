import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalMetricsRegistry } from './metrics-registry.ts';
import { MetricsStore, escapeLabelValue } from './metrics-store.ts';

test('metrics: counters, gauges and histograms are summed over workers and rendered in the Prometheus format', () => {
  const node = new MetricsStore();
  const workers = [new LocalMetricsRegistry(), new LocalMetricsRegistry()];
  for (const [i, w] of workers.entries()) {
    const requests = w.counter({ name: 'kong_http_requests_total', help: 'HTTP requests.', labelNames: ['service', 'code'] });
    requests.inc(['a', '200']);
    requests.inc(['a', '200'], 2);
    requests.inc(['b', '500']);
    w.gauge({ name: 'conns', help: 'Open connections.' }).set([], 10 + i);
    const latency = w.histogram({ name: 'latency_ms', help: 'Latency.', labelNames: ['service'], buckets: [1, 10, 100] });
    latency.observe(['a'], 0.5);
    latency.observe(['a'], 10);
    latency.observe(['a'], 1000);
    node.apply(i + 1, w.take()!);
  }
  assert.equal(
    node.render(),
    [
      '# HELP kong_http_requests_total HTTP requests.',
      '# TYPE kong_http_requests_total counter',
      'kong_http_requests_total{service="a",code="200"} 6',
      'kong_http_requests_total{service="b",code="500"} 2',
      '# HELP conns Open connections.',
      '# TYPE conns gauge',
      'conns 21',
      '# HELP latency_ms Latency.',
      '# TYPE latency_ms histogram',
      'latency_ms_bucket{service="a",le="1"} 2',
      'latency_ms_bucket{service="a",le="10"} 4',
      'latency_ms_bucket{service="a",le="100"} 4',
      'latency_ms_bucket{service="a",le="+Inf"} 6',
      'latency_ms_sum{service="a"} 2021',
      'latency_ms_count{service="a"} 6',
      '',
    ].join('\n'),
  );
  // Pushes carry deltas: nothing new, nothing sent; new increments add up.
  assert.equal(workers[0].take(), null);
  workers[0].counter({ name: 'kong_http_requests_total', help: 'x', labelNames: ['service', 'code'] }).inc(['a', '200']);
  node.apply(1, workers[0].take()!);
  assert.match(node.render(), /^kong_http_requests_total\{service="a",code="200"\} 7$/m);
  // A worker that leaves takes its gauges with it; its counters stay.
  node.dropWorker(2);
  assert.match(node.render(), /^conns 10$/m);
  assert.match(node.render(), /^latency_ms_count\{service="a"\} 6$/m);
});

test('metrics: label values and help are escaped; label-less counters and histograms show from the start', () => {
  const node = new MetricsStore();
  const w = new LocalMetricsRegistry();
  w.counter({ name: 'c', help: 'back\\slash and\nnewline', labelNames: ['v'] }).inc(['say "hi"\\\n']);
  w.counter({ name: 'zero', help: 'Never incremented.' });
  w.histogram({ name: 'h', help: 'Empty.', buckets: [0.5] });
  node.apply(1, w.take()!);
  const text = node.render();
  assert.match(text, /^# HELP c back\\\\slash and\\nnewline$/m);
  assert.ok(text.includes('c{v="say \\"hi\\"\\\\\\n"} 1'), text);
  assert.match(text, /^zero 0$/m);
  assert.match(text, /^h_bucket\{le="0.5"\} 0$/m);
  assert.match(text, /^h_bucket\{le="\+Inf"\} 0$/m);
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('metrics: defining a name again returns the same metric; another shape, or a bad definition, is refused', () => {
  const w = new LocalMetricsRegistry();
  const a = w.counter({ name: 'x_total', help: 'X.', labelNames: ['l'] });
  assert.equal(w.counter({ name: 'x_total', help: 'other help', labelNames: ['l'] }), a);
  assert.throws(() => w.gauge({ name: 'x_total', help: 'X.', labelNames: ['l'] }), /already defined as a counter/);
  assert.throws(() => w.counter({ name: 'bad-name', help: '' }), /not a Prometheus name/);
  assert.throws(() => w.histogram({ name: 'h', help: '', labelNames: ['le'], buckets: [1] }), /'le'/);
  assert.throws(() => w.histogram({ name: 'h2', help: '', buckets: [2, 1] }), /ascending/);
  assert.throws(() => a.inc(['one', 'two']), /takes 1 label value/);
  assert.throws(() => a.inc(['v'], -1), /only go up/);
  // On the node, the first shape of a name wins; samples of another shape are dropped.
  const node = new MetricsStore();
  node.apply(1, w.take()!);
  const other = new LocalMetricsRegistry();
  other.gauge({ name: 'x_total', help: 'X.', labelNames: ['l'] }).set(['v'], 5);
  node.apply(2, other.take()!);
  assert.deepEqual([...node.conflicts], ['x_total']);
  assert.match(node.render(), /# TYPE x_total counter/);
  assert.doesNotMatch(node.render(), /x_total\{l="v"\} 5/);
});

test('metrics: a label array reused and changed in place still counts into the series of its current values', () => {
  const node = new MetricsStore();
  const w = new LocalMetricsRegistry();
  const c = w.counter({ name: 'reused_total', help: 'Reused labels.', labelNames: ['code'] });
  const labels = ['200'];
  c.inc(labels);
  c.inc(labels);
  labels[0] = '500';
  c.inc(labels);
  labels[0] = '200';
  c.inc(labels);
  node.apply(1, w.take()!);
  assert.match(node.render(), /^reused_total\{code="200"\} 3$/m);
  assert.match(node.render(), /^reused_total\{code="500"\} 1$/m);
});
