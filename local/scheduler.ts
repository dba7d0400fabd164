/**
 * Owns every timer and in-flight delivery of one sandbox or bus, so `idle()` can tell when nothing is left to happen
 * and `stop()` can cancel all of it.
 */
export class Scheduler {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #controller = new AbortController();
  #inFlight = 0;
  #waiters: (() => void)[] = [];

  /** Aborted by `stop()`: pending HTTP work listens to it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get stopped(): boolean {
    return this.#controller.signal.aborted;
  }

  /** Runs `task` after `ms`; returns a cancel function. Does nothing once stopped. */
  after(ms: number, task: () => void): () => void {
    if (this.stopped) return () => {};
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      try {
        task();
      } finally {
        this.#settle();
      }
    }, ms);
    this.#timers.add(timer);
    return () => {
      if (this.#timers.delete(timer)) {
        clearTimeout(timer);
        this.#settle();
      }
    };
  }

  /** Counts `work` as pending until it settles. */
  track(work: Promise<void>): void {
    this.#inFlight++;
    const done = (): void => {
      this.#inFlight--;
      this.#settle();
    };
    work.then(done, done);
  }

  idle(): Promise<void> {
    if (this.#busy()) return new Promise((resolve) => this.#waiters.push(resolve));
    return Promise.resolve();
  }

  stop(): void {
    this.#controller.abort();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#release();
  }

  #busy(): boolean {
    return !this.stopped && (this.#timers.size > 0 || this.#inFlight > 0);
  }

  #settle(): void {
    if (!this.#busy()) this.#release();
  }

  #release(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
