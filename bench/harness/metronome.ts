/**
 * Worker thread that wakes the fixed-rate generator's main thread at each scheduled send time.
 *
 * Node's timers have 1 ms granularity, which would make every request up to a millisecond late. A worker can
 * sleep precisely with `Atomics.wait` (sub-millisecond timeouts) without burning CPU, and its `postMessage`
 * wakes the main event loop at once. Protocol: the parent sends `{ startNs, rate, total }` (hrtime
 * nanoseconds, shared monotonic clock), the worker posts the index of each request as it falls due, from 1
 * to total - 1; writing 1 into cell 0 of `workerData.stop` (an Int32Array over a SharedArrayBuffer) stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';

/** The schedule the parent hands to the metronome. */
export interface MetronomeSchedule {
  startNs: number;
  rate: number;
  total: number;
}

function runMetronome(schedule: MetronomeSchedule, stop: Int32Array, post: (index: number) => void): void {
  for (let index = 1; index < schedule.total; index++) {
    const target = schedule.startNs + (index * 1e9) / schedule.rate;
    for (;;) {
      if (Atomics.load(stop, 0) !== 0) return;
      const left = target - Number(process.hrtime.bigint());
      if (left <= 0) break;
      Atomics.wait(stop, 0, 0, left / 1e6);
    }
    post(index);
  }
}

if (parentPort) {
  const port = parentPort;
  const stop = (workerData as { stop: Int32Array }).stop;
  port.once('message', (schedule: MetronomeSchedule) => {
    runMetronome(schedule, stop, (index) => port.postMessage(index));
    port.close();
  });
  port.postMessage('ready');
}
