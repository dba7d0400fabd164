/**
 * Every fault the sandbox injects is drawn from one seeded generator, and drawn when a request is answered (never when
 * a timer fires), so the sequence of decisions depends only on the sequence of requests: the same seed and the same
 * requests replay the same faults, whatever the timing.
 */
import type { ResolvedOptions } from "./config.ts";

export type Random = () => number;

/** mulberry32: tiny, fast, and good enough to spread faults evenly; not for secrets. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `before`: the 500 comes instead of the work (nothing happens). `after`: the work is accepted and then the answer
 * is lost (the change happens although the client saw 500). Linq's real 5xx can be either.
 */
export type FailMode = "before" | "after" | "either";

export type CallFault = "rate_limited" | "failed_before" | "failed_after";

export interface EventFate {
  /** Never sent to anyone. */
  readonly drop: boolean;
  /** Sent twice to each destination, with the same webhook-id. */
  readonly duplicate: boolean;
  /** Held back until a later event of the same chat has gone out. */
  readonly hold: boolean;
}

export type FaultRates = Pick<
  ResolvedOptions,
  "rateLimitRate" | "failRate" | "failMode" | "dropRate" | "duplicateRate" | "reorder"
>;

export class Faults {
  readonly #random: Random;
  readonly #rates: FaultRates;

  constructor(seed: number, rates: FaultRates) {
    this.#random = mulberry32(seed);
    this.#rates = rates;
  }

  forCall(): CallFault | undefined {
    if (this.#roll(this.#rates.rateLimitRate)) return "rate_limited";
    if (!this.#roll(this.#rates.failRate)) return undefined;
    const mode = this.#rates.failMode === "either" ? (this.#random() < 0.5 ? "before" : "after") : this.#rates.failMode;
    return mode === "before" ? "failed_before" : "failed_after";
  }

  forEvent(): EventFate {
    return {
      drop: this.#roll(this.#rates.dropRate),
      duplicate: this.#roll(this.#rates.duplicateRate),
      hold: this.#roll(this.#rates.reorder),
    };
  }

  /** A rate of 0 draws nothing, so a run without faults consumes no randomness. */
  #roll(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }
}
