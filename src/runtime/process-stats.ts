/** Figures a process reports about itself for `/status`, `/timers` and `GET /`. */

/** Timers (setTimeout/setInterval) waiting to fire in this process. */
export function pendingTimers(): number {
  let n = 0;
  for (const kind of process.getActiveResourcesInfo()) if (kind === 'Timeout') n++;
  return n;
}
