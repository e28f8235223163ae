/**
 * Runs an async job on request, never two runs at once. Requests that arrive while a run is under way are
 * answered by one more run after it. Two overlapping runs could finish out of order, and the one that
 * started first, with older data, would then have the last word.
 */
export class CoalescingRunner {
  readonly #job: () => Promise<void>;
  #running: Promise<void> | null = null;
  #again = false;

  constructor(job: () => Promise<void>) {
    this.#job = job;
  }

  request(): void {
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop();
  }

  /** Resolves once no run is under way or asked for. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.#job();
      } catch {
        // The job reports its own failures; a throw must not stop later runs.
      }
    } while (this.#again);
    this.#running = null;
  }
}
