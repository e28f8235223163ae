/**
 * CPU placement on a small machine. The load generator, the upstream and the proxy all share the same few
 * cores; left alone, the scheduler moves them around and the proxy's numbers depend on who it happened to
 * share a core with. When the proxy has fewer workers than there are cores, the proxy gets its own cores and
 * the load generator shares the rest with the upstream (which costs only a few microseconds per request).
 * When the proxy has as many workers as cores, nothing can be isolated, so nothing is pinned.
 */

/** Pinning mode from `--pin`. */
export type PinMode = 'auto' | 'off';

/** Where each party runs; an undefined CPU list means "anywhere". */
export interface Placement {
  /** CPUs for wrk and the fixed-rate generator. */
  loadCpus?: string;
  /** CPUs for the contestant being measured. */
  targetCpus?: string;
  /** CPUs for the shared upstream while a proxy is measured. */
  upstreamCpus?: string;
  /** Every CPU, used to undo pins when nothing is pinned. */
  allCpus: string;
  /** One line for the report. */
  description: string;
}

function cpuList(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`;
}

/**
 * Plans the placement for measuring a contestant with `workers` workers on `cpuCount` CPUs. With pinning, the
 * target takes the last `workers` CPUs and load plus upstream the others.
 */
export function planPlacement(mode: PinMode, cpuCount: number, workers: number): Placement {
  const allCpus = cpuList(0, Math.max(0, cpuCount - 1));
  if (mode === 'off' || workers >= cpuCount) {
    const why = mode === 'off' ? '--pin off' : `${workers} worker(s) on ${cpuCount} CPU(s) leave nothing to isolate`;
    return { allCpus, description: `not pinned (${why}): load generator, upstream and contestant share all CPUs` };
  }
  const loadCpus = cpuList(0, cpuCount - workers - 1);
  const targetCpus = cpuList(cpuCount - workers, cpuCount - 1);
  return {
    loadCpus, targetCpus, upstreamCpus: loadCpus, allCpus,
    description: `pinned with taskset: contestant on CPU ${targetCpus}; load generator and upstream on CPU ${loadCpus}`,
  };
}
