/** In-memory idempotency keys with the DynamoDB adapter's semantics: bound until they expire, fingerprint checked. */
import type { BindResult, IdempotencyKeys, KeyBinding } from "../../src/domain/ports.ts";

export class InMemoryIdempotencyKeys implements IdempotencyKeys {
  readonly #keys = new Map<string, { fingerprint: string; binding: KeyBinding; expiresAt: number }>();
  readonly #ttlMs: number;

  constructor(ttlMs = 24 * 60 * 60 * 1000) {
    this.#ttlMs = ttlMs;
  }

  async bind(key: string, fingerprint: string, binding: KeyBinding, now: Date): Promise<BindResult> {
    const held = this.#keys.get(key);
    if (held === undefined || held.expiresAt < now.getTime()) {
      this.#keys.set(key, { fingerprint, binding: { ...binding }, expiresAt: now.getTime() + this.#ttlMs });
      return { state: "bound" };
    }
    if (held.fingerprint !== fingerprint) return { state: "mismatch" };
    return { state: "taken", binding: { ...held.binding } };
  }
}
