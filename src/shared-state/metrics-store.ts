/**
 * The node's metrics (the supervisor holds them): the sum over every worker of what their registries pushed,
 * rendered in the Prometheus text format. Counters and histograms accumulate here, so they survive a worker's
 * crash (less what it had not pushed yet); gauges are kept per worker and leave with it, since they describe
 * a live process.
 */
import { checkDefinition, sameShape, type MetricFamilyDef, type MetricsPush } from './metrics-types.ts';

interface NodeSeries {
  readonly labels: string[];
  /** Counter total or histogram sum. */
  value: number;
  /** Histogram: per-bucket totals (last: +Inf) and the count. */
  counts: number[] | null;
  count: number;
  /** Gauge: each worker's current value. */
  perWorker: Map<number, number> | null;
}

interface NodeFamily {
  readonly def: MetricFamilyDef;
  readonly series: Map<string, NodeSeries>;
}

export class MetricsStore {
  readonly #families = new Map<string, NodeFamily>();
  /** Definitions refused because another with the same name but another shape came first (logged once each). */
  readonly conflicts = new Set<string>();

  /** Adds a definition; false when a different one holds the name. */
  define(def: MetricFamilyDef): boolean {
    const existing = this.#families.get(def.name);
    if (existing !== undefined) {
      if (sameShape(existing.def, def)) return true;
      this.conflicts.add(def.name);
      return false;
    }
    try {
      checkDefinition(def);
    } catch {
      this.conflicts.add(def.name);
      return false;
    }
    this.#families.set(def.name, { def, series: new Map() });
    return true;
  }

  #series(name: string, labels: string[], type: MetricFamilyDef['type']): NodeSeries | null {
    const family = this.#families.get(name);
    if (family === undefined || family.def.type !== type || labels.length !== family.def.labelNames.length) return null;
    const key = labels.join('\u0000');
    let s = family.series.get(key);
    if (s === undefined) {
      s = {
        labels,
        value: 0,
        counts: type === 'histogram' ? new Array<number>(family.def.buckets!.length + 1).fill(0) : null,
        count: 0,
        perWorker: type === 'gauge' ? new Map() : null,
      };
      family.series.set(key, s);
    }
    return s;
  }

  /** Adds what worker `workerId` pushed. Samples of unknown or mismatched metrics are dropped. */
  apply(workerId: number, push: MetricsPush): void {
    for (const def of push.defs) this.define(def);
    for (const [name, labels, delta] of push.counters) {
      const s = this.#series(name, labels, 'counter');
      if (s !== null && Number.isFinite(delta)) s.value += delta;
    }
    for (const [name, labels, value] of push.gauges) {
      this.#series(name, labels, 'gauge')?.perWorker!.set(workerId, value);
    }
    for (const [name, labels, counts, sum, count] of push.histograms) {
      const s = this.#series(name, labels, 'histogram');
      if (s === null || counts.length !== s.counts!.length) continue;
      for (let i = 0; i < counts.length; i++) s.counts![i] += counts[i];
      s.value += sum;
      s.count += count;
    }
  }

  /** A worker is gone: its gauge values leave the sums. */
  dropWorker(workerId: number): void {
    for (const family of this.#families.values()) {
      if (family.def.type !== 'gauge') continue;
      for (const s of family.series.values()) s.perWorker!.delete(workerId);
    }
  }

  /**
   * The Prometheus text exposition (format 0.0.4) of every metric, in the order they were first defined, less
   * the families `hide` names (say, a plugin's while no instance of it is configured).
   */
  render(hide?: (name: string) => boolean): string {
    const out: string[] = [];
    for (const { def, series } of this.#families.values()) {
      if (hide !== undefined && hide(def.name)) continue;
      out.push(`# HELP ${def.name} ${escapeHelp(def.help)}`, `# TYPE ${def.name} ${def.type}`);
      for (const s of series.values()) {
        const labels = labelPairs(def.labelNames, s.labels);
        if (def.type === 'counter') {
          out.push(`${def.name}${braces(labels)} ${formatValue(s.value)}`);
        } else if (def.type === 'gauge') {
          if (s.perWorker!.size === 0) continue;
          let sum = 0;
          for (const v of s.perWorker!.values()) sum += v;
          out.push(`${def.name}${braces(labels)} ${formatValue(sum)}`);
        } else {
          const buckets = def.buckets!;
          let cumulative = 0;
          for (let i = 0; i <= buckets.length; i++) {
            cumulative += s.counts![i];
            const le = i < buckets.length ? formatValue(buckets[i]) : '+Inf';
            out.push(`${def.name}_bucket${braces(labels === '' ? `le="${le}"` : `${labels},le="${le}"`)} ${formatValue(cumulative)}`);
          }
          out.push(`${def.name}_sum${braces(labels)} ${formatValue(s.value)}`, `${def.name}_count${braces(labels)} ${formatValue(s.count)}`);
        }
      }
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`;
  }
}

function braces(pairs: string): string {
  return pairs === '' ? '' : `{${pairs}}`;
}

function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) out += `${i === 0 ? '' : ','}${names[i]}="${escapeLabelValue(values[i])}"`;
  return out;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
export function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** Prometheus sample values: `+Inf`, `-Inf`, `NaN`, otherwise the shortest decimal form. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}
