/**
 * An in-memory IdempotencyStore with the DynamoDB store's semantics (src/adapters/dynamo-idempotency-store.ts):
 * a key is free when absent, expired, released by the same request (same fingerprint), or held past its lease.
 * Claiming a key released by the same request hands back the trace id that request started.
 */
import type { Answer, IdempotencyClaim, IdempotencyStore } from "../../src/domain/ports.ts";

interface Entry {
  fingerprint: string;
  state: "in-progress" | "complete" | "released";
  answer?: Answer;
  traceId?: string;
  leaseUntil?: number;
  expiresAt: number;
}

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

export class InMemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlSeconds: number;
  readonly #leaseSeconds: number;

  constructor(options: { ttlSeconds?: number; leaseSeconds?: number } = {}) {
    this.#ttlSeconds = options.ttlSeconds ?? 24 * 60 * 60;
    this.#leaseSeconds = options.leaseSeconds ?? 60;
  }

  /** What the key holds now (a copy), for assertions. */
  entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : structuredClone(entry);
  }

  async claim(key: string, fingerprint: string, now: Date): Promise<IdempotencyClaim> {
    const at = seconds(now);
    const held = this.#entries.get(key);
    const free =
      held === undefined ||
      held.expiresAt < at ||
      (held.state === "released" && held.fingerprint === fingerprint) ||
      (held.state === "in-progress" && (held.leaseUntil ?? 0) < at);
    if (free) {
      this.#entries.set(key, {
        fingerprint,
        state: "in-progress",
        leaseUntil: at + this.#leaseSeconds,
        expiresAt: at + this.#ttlSeconds,
      });
      const previous = held?.fingerprint === fingerprint ? held.traceId : undefined;
      return previous === undefined ? { state: "claimed" } : { state: "claimed", traceId: previous };
    }
    if (held.fingerprint !== fingerprint) return { state: "mismatch" };
    if (held.state === "complete" && held.answer !== undefined) {
      return { state: "replay", answer: structuredClone(held.answer) };
    }
    return { state: "in-progress" };
  }

  async complete(key: string, fingerprint: string, answer: Answer, now: Date): Promise<void> {
    this.#entries.set(key, {
      fingerprint,
      state: "complete",
      answer: structuredClone(answer),
      expiresAt: seconds(now) + this.#ttlSeconds,
    });
  }

  async release(key: string, fingerprint: string, traceId: string | undefined, now: Date): Promise<void> {
    this.#entries.set(key, {
      fingerprint,
      state: "released",
      ...(traceId === undefined ? {} : { traceId }),
      expiresAt: seconds(now) + this.#ttlSeconds,
    });
  }
}
