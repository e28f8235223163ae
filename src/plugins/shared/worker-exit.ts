/**
 * What the log plugins still hold when a worker stops (queued entries, buffered lines, bytes in a socket's
 * buffer): each registers a drain, and the stopping worker awaits them all, within a bound, before it exits.
 */
type Drain = () => Promise<void>;

const drains = new Set<Drain>();

/** Registers a drain to run when the worker stops (once per owner: pass the same function every time). */
export function onWorkerExit(drain: Drain): void {
  drains.add(drain);
}

/** Runs every drain; resolves when all have finished or after `timeoutMs`, whichever is first. */
export async function drainAll(timeoutMs: number): Promise<void> {
  if (drains.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled([...drains].map((d) => d())), timeout]);
  clearTimeout(timer);
}

/** Polls `done` every 20 ms until it holds (drains bounded by `drainAll`'s timeout). */
export async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
}
