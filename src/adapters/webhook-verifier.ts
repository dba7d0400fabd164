/**
 * Verifies Linq's webhook signatures on the raw bytes, before anything parses them.
 *
 * Standard Webhooks: HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}`; the `standardwebhooks` package
 * computes it (its secret decoding and signing), and we compare every offered `v1` signature in constant time, against
 * every configured secret (rotation: the old and the new secret are both valid for a while). The timestamp window is
 * checked with our clock, both ways, so tests can move time.
 *
 * The deprecated `X-Webhook-Signature` scheme (hex HMAC over `${timestamp}.${body}`, keyed by the secret's text) is
 * accepted only when configured, for accounts Linq still signs that way.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { Clock } from "../domain/ports.ts";

export const TOLERANCE_SECONDS = 300;

export interface WebhookVerifierOptions {
  /** `whsec_...` secrets; any one of them may have signed. */
  secrets: string[];
  /** Secrets of the deprecated scheme; empty to refuse it. */
  legacySecrets: string[];
  clock: Clock;
}

export type Verification = { ok: true; deliveryId: string } | { ok: false; reason: string };

export class WebhookVerifier {
  readonly #signers: Webhook[];
  readonly #legacySecrets: string[];
  readonly #clock: Clock;

  constructor(options: WebhookVerifierOptions) {
    // Built once: a malformed secret fails at cold start, not on the first delivery.
    this.#signers = options.secrets.map((secret) => new Webhook(secret));
    this.#legacySecrets = options.legacySecrets;
    this.#clock = options.clock;
  }

  /** `headers` with lower-cased names, as API Gateway's payload v2 gives them. */
  verify(rawBody: Buffer, headers: Record<string, string | undefined>): Verification {
    const id = headers["webhook-id"];
    const timestamp = headers["webhook-timestamp"];
    const signatures = headers["webhook-signature"];
    if (id !== undefined && timestamp !== undefined && signatures !== undefined) {
      return this.#verifyStandard(rawBody, id, timestamp, signatures);
    }
    const legacyTimestamp = headers["x-webhook-timestamp"];
    const legacySignature = headers["x-webhook-signature"];
    if (this.#legacySecrets.length > 0 && legacyTimestamp !== undefined && legacySignature !== undefined) {
      return this.#verifyLegacy(rawBody, legacyTimestamp, legacySignature);
    }
    return { ok: false, reason: "missing signature headers" };
  }

  #verifyStandard(rawBody: Buffer, id: string, timestamp: string, offered: string): Verification {
    const sent = this.#checkTimestamp(timestamp);
    if (typeof sent === "string") return { ok: false, reason: sent };
    const candidates = offered
      .split(" ")
      .filter((entry) => entry.startsWith("v1,"))
      .map((entry) => Buffer.from(entry.slice(3)));
    for (const signer of this.#signers) {
      const expected = Buffer.from(signer.sign(id, sent, rawBody).slice(3));
      if (candidates.some((candidate) => constantTimeEqual(candidate, expected))) return { ok: true, deliveryId: id };
    }
    return { ok: false, reason: "no matching signature" };
  }

  #verifyLegacy(rawBody: Buffer, timestamp: string, offered: string): Verification {
    const sent = this.#checkTimestamp(timestamp);
    if (typeof sent === "string") return { ok: false, reason: sent };
    for (const secret of this.#legacySecrets) {
      const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
      if (constantTimeEqual(Buffer.from(offered.trim()), Buffer.from(expected))) {
        // The old scheme has no delivery id; the signature is unique per body and timestamp, so it stands in.
        return { ok: true, deliveryId: `legacy-${expected}` };
      }
    }
    return { ok: false, reason: "no matching signature" };
  }

  #checkTimestamp(value: string): Date | string {
    if (!/^\d{1,12}$/.test(value)) return "malformed timestamp";
    const seconds = Number(value);
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    if (now - seconds > TOLERANCE_SECONDS) return "timestamp too old";
    if (seconds - now > TOLERANCE_SECONDS) return "timestamp too far in the future";
    return new Date(seconds * 1000);
  }
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
