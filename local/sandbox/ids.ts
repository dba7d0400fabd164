import { mulberry32, type Random } from "./faults.ts";

/**
 * Identifiers in Linq's formats, from their own stream of the seed: a replayed run gets the same ids, and minting an
 * id never shifts the fault sequence.
 */
export class Ids {
  readonly #random: Random;

  constructor(seed: number) {
    this.#random = mulberry32((seed ^ 0x9e3779b9) >>> 0);
  }

  uuid(): string {
    const bytes = this.#bytes(16);
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** 32 hex digits, like the trace ids in Linq's responses and events. */
  traceId(): string {
    return this.#bytes(16).toString("hex");
  }

  /** Svix-style message id, the `webhook-id` header. */
  webhookId(): string {
    return `msg_${this.#bytes(18).toString("base64url")}`;
  }

  /** Where Linq would host an icon it copied: its CDN, a name of its own, never the partner's URL. */
  hostedIconUrl(): string {
    return `https://cdn.linqapp.com/chat-icons/${this.#bytes(16).toString("hex")}.png`;
  }

  /** Standard Webhooks secret as Linq's: `whsec_` then base64 of 32 random bytes. */
  signingSecret(): string {
    return `whsec_${this.#bytes(32).toString("base64")}`;
  }

  #bytes(count: number): Buffer {
    const bytes = Buffer.alloc(count);
    for (let i = 0; i < count; i += 4) {
      const word = Math.floor(this.#random() * 4294967296);
      for (let j = 0; j < 4 && i + j < count; j++) bytes[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return bytes;
  }
}
