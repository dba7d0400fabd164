import type { Clock, Ids } from "../../src/domain/ports.ts";

export const T0 = "2026-03-01T12:00:00.000Z";

/** A clock that only moves when told. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: string = T0) {
    this.#now = Date.parse(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  iso(): string {
    return this.now().toISOString();
  }

  set(at: string): void {
    this.#now = Date.parse(at);
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Our operation ids, predictable: `ours-1`, `ours-2`, ... */
export class SequentialIds implements Ids {
  #next = 1;
  readonly #prefix: string;

  constructor(prefix = "ours") {
    this.#prefix = prefix;
  }

  operationId(): string {
    return `${this.#prefix}-${this.#next++}`;
  }
}
