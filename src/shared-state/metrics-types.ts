/**
 * What a worker's metrics registry sends to the node: the definitions it has not sent yet, and what changed
 * since its last push (counter and histogram deltas, gauge values). Plain JSON.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricFamilyDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histograms: upper bounds, ascending, finite (`+Inf` is implied). */
  readonly buckets?: readonly number[];
}

export interface MetricsPush {
  defs: MetricFamilyDef[];
  /** [name, label values, amount added since the last push] */
  counters: [string, string[], number][];
  /** [name, label values, current value in this worker] */
  gauges: [string, string[], number][];
  /** [name, label values, per-bucket counts added (the last is `+Inf`), sum added, count added] */
  histograms: [string, string[], number[], number, number][];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws a TypeError naming the problem when a definition is not a valid Prometheus metric. */
export function checkDefinition(def: MetricFamilyDef): void {
  if (!METRIC_NAME.test(def.name)) throw new TypeError(`metric name '${def.name}' is not a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*)`);
  for (const label of def.labelNames) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new TypeError(`metric ${def.name}: label name '${label}' is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)`);
    }
    if (def.type === 'histogram' && label === 'le') throw new TypeError(`metric ${def.name}: a histogram cannot have a label named 'le'`);
  }
  if (new Set(def.labelNames).size !== def.labelNames.length) throw new TypeError(`metric ${def.name}: label names repeat`);
  if (def.type === 'histogram') {
    const b = def.buckets ?? [];
    if (b.length === 0) throw new TypeError(`histogram ${def.name} needs at least one bucket`);
    for (let i = 0; i < b.length; i++) {
      if (!Number.isFinite(b[i]) || (i > 0 && b[i] <= b[i - 1])) {
        throw new TypeError(`histogram ${def.name}: buckets must be finite and strictly ascending, got [${b.join(', ')}]`);
      }
    }
  }
}

/** Same family? (Same type, labels and buckets; help may differ, the first one wins.) */
export function sameShape(a: MetricFamilyDef, b: MetricFamilyDef): boolean {
  return a.type === b.type &&
    a.labelNames.length === b.labelNames.length && a.labelNames.every((l, i) => l === b.labelNames[i]) &&
    (a.buckets ?? []).length === (b.buckets ?? []).length && (a.buckets ?? []).every((x, i) => x === b.buckets![i]);
}
