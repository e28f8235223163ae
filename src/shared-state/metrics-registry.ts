/**
 * A worker's metrics registry: updates stay in the worker (a Map update, no message per request) and leave in
 * batches through `take()`, which the client calls on its push timer and when the node asks before a scrape.
 */
import type { CounterMetric, GaugeMetric, HistogramMetric, LabelValues, MetricDefinition, MetricsRegistry } from '../pdk/shared-state.ts';
import { checkDefinition, sameShape, type MetricFamilyDef, type MetricsPush, type MetricType } from './metrics-types.ts';

interface Series {
  readonly labels: string[];
  /** Counter: amount since the last push; gauge: current value; histogram: sum since the last push. */
  value: number;
  /** Histogram only: observations per bucket since the last push (last: +Inf), and their count. */
  readonly counts: number[] | null;
  count: number;
  dirty: boolean;
}

/** Label values joined with a character label values rarely hold; collisions are checked against the labels. */
function seriesKey(labels: LabelValues): string {
  return labels.length === 0 ? '' : labels.length === 1 ? labels[0] : labels.join('\u0000');
}

function sameValues(a: readonly string[], b: LabelValues): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

class Family implements CounterMetric, GaugeMetric, HistogramMetric {
  readonly def: MetricFamilyDef;
  readonly series = new Map<string, Series>();
  readonly dirty: Set<Series>;
  /** The series each label array last resolved to. */
  readonly #byArray = new WeakMap<LabelValues, Series>();

  constructor(def: MetricFamilyDef, dirty: Set<Series>) {
    this.def = def;
    this.dirty = dirty;
  }

  #series(labels: LabelValues): Series {
    // A caller that keeps its label arrays (one per route, say) skips building the key; the values are checked
    // so that an array changed in place since still finds its own series.
    const known = this.#byArray.get(labels);
    if (known !== undefined && sameValues(known.labels, labels)) return known;
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      if (labels.length !== this.def.labelNames.length) {
        throw new TypeError(`metric ${this.def.name} takes ${this.def.labelNames.length} label value(s) (${this.def.labelNames.join(', ')}), got ${labels.length}`);
      }
      const counts = this.def.type === 'histogram' ? new Array<number>(this.def.buckets!.length + 1).fill(0) : null;
      s = { labels: labels.map(String), value: 0, counts, count: 0, dirty: false };
      this.series.set(key, s);
    }
    this.#byArray.set(labels, s);
    return s;
  }

  #touch(s: Series): void {
    if (!s.dirty) {
      s.dirty = true;
      this.dirty.add(s);
    }
  }

  /** Creates the series (so that it is scraped, as 0) and marks it for the next push. */
  ensure(labels: LabelValues): void {
    this.#touch(this.#series(labels));
  }

  inc(labels: LabelValues, by = 1): void {
    if (this.def.type === 'counter' && !(by >= 0)) throw new RangeError(`counter ${this.def.name} can only go up (inc by ${by})`);
    const s = this.#series(labels);
    s.value += by;
    this.#touch(s);
  }

  set(labels: LabelValues, value: number): void {
    const s = this.#series(labels);
    s.value = value;
    this.#touch(s);
  }

  observe(labels: LabelValues, value: number): void {
    const s = this.#series(labels);
    const buckets = this.def.buckets!;
    let i = 0;
    while (i < buckets.length && value > buckets[i]) i++;
    s.counts![i]++;
    s.value += value;
    s.count++;
    this.#touch(s);
  }
}

export class LocalMetricsRegistry implements MetricsRegistry {
  readonly #families = new Map<string, Family>();
  /** Definitions not pushed yet. */
  #newDefs: MetricFamilyDef[] = [];
  readonly #dirty = new Map<Family, Set<Series>>();

  #define(type: MetricType, def: MetricDefinition, buckets?: readonly number[]): Family {
    const full: MetricFamilyDef = { name: def.name, type, help: def.help, labelNames: [...(def.labelNames ?? [])], ...(buckets ? { buckets: [...buckets] } : {}) };
    const existing = this.#families.get(def.name);
    if (existing !== undefined) {
      if (!sameShape(existing.def, full)) {
        throw new TypeError(`metric ${def.name} is already defined as a ${existing.def.type} with labels (${existing.def.labelNames.join(', ')}); a second definition must match it`);
      }
      return existing;
    }
    checkDefinition(full);
    const dirty = new Set<Series>();
    const family = new Family(full, dirty);
    this.#families.set(def.name, family);
    this.#dirty.set(family, dirty);
    this.#newDefs.push(full);
    // A metric without labels has its one series from the start, so that it is scraped as 0.
    if (full.labelNames.length === 0 && type !== 'gauge') family.ensure([]);
    return family;
  }

  counter(def: MetricDefinition): CounterMetric {
    return this.#define('counter', def);
  }

  gauge(def: MetricDefinition): GaugeMetric {
    return this.#define('gauge', def);
  }

  histogram(def: MetricDefinition & { readonly buckets: readonly number[] }): HistogramMetric {
    return this.#define('histogram', def, def.buckets);
  }

  /** Everything since the last call (null when nothing changed); counters and histograms restart from 0. */
  take(): MetricsPush | null {
    const push: MetricsPush = { defs: this.#newDefs, counters: [], gauges: [], histograms: [] };
    this.#newDefs = [];
    let changes = push.defs.length;
    for (const [family, dirty] of this.#dirty) {
      if (dirty.size === 0) continue;
      const name = family.def.name;
      for (const s of dirty) {
        s.dirty = false;
        changes++;
        if (family.def.type === 'counter') {
          push.counters.push([name, s.labels, s.value]);
          s.value = 0;
        } else if (family.def.type === 'gauge') {
          push.gauges.push([name, s.labels, s.value]);
        } else {
          push.histograms.push([name, s.labels, s.counts!.slice(), s.value, s.count]);
          s.counts!.fill(0);
          s.value = 0;
          s.count = 0;
        }
      }
      dirty.clear();
    }
    return changes === 0 ? null : push;
  }
}
