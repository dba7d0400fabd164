/**
 * Verifies Linq's webhook signatures on the raw bytes, then reads the body: one step, so nothing reads an unverified
 * body and nothing verifies twice.
 *
 * Standard Webhooks: the `standardwebhooks` package's own `Webhook.verify` checks the three headers, the timestamp
 * within 5 minutes both ways, and every offered `v1` signature in constant time. We try each configured secret in turn
 * (rotation: the old and the new secret are both valid for a while). Its window reads `Date.now()` and takes no clock:
 * tests move it with fake timers.
 *
 * The deprecated `X-Webhook-Signature` scheme (hex HMAC over `${timestamp}.${body}`, keyed by the secret's text) is
 * accepted only when configured, for accounts Linq still signs that way; it has no library, so it is checked here.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook, type WebhookUnbrandedRequiredHeaders } from "standardwebhooks";
import type { Clock } from "../domain/ports.ts";

/** The deprecated scheme's window, the same 5 minutes as `standardwebhooks`' own. */
const TOLERANCE_SECONDS = 300;

export interface WebhookVerifierOptions {
  /** `whsec_...` secrets; any one of them may have signed. */
  secrets: string[];
  /** Secrets of the deprecated scheme; empty to refuse it. */
  legacySecrets: string[];
  /** The deprecated scheme's window; the Standard Webhooks one is the library's, on the system clock. */
  clock: Clock;
}

export type Verification =
  | { ok: true; deliveryId: string; payload: unknown }
  /** Signed by Linq but not JSON: it will never parse, however often Linq sends it. */
  | { ok: true; deliveryId: string; unreadable: true }
  | { ok: false; reason: string };

/** Digits only: `Webhook.verify` reads the header with parseInt, which would take `1700000000abc`. */
const TIMESTAMP = /^\d{1,12}$/;

export class WebhookVerifier {
  readonly #webhooks: Webhook[];
  readonly #legacySecrets: string[];
  readonly #clock: Clock;

  constructor(options: WebhookVerifierOptions) {
    // Built once: a malformed secret fails at cold start, not on the first delivery.
    this.#webhooks = options.secrets.map((secret) => new Webhook(secret));
    this.#legacySecrets = options.legacySecrets;
    this.#clock = options.clock;
  }

  /** `headers` with lower-cased names, as API Gateway's payload v2 gives them. */
  verify(rawBody: Buffer, headers: Record<string, string | undefined>): Verification {
    const id = headers["webhook-id"];
    const timestamp = headers["webhook-timestamp"];
    const signature = headers["webhook-signature"];
    if (id !== undefined && timestamp !== undefined && signature !== undefined) {
      return this.#verifyStandard(rawBody, {
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
      });
    }
    const legacyTimestamp = headers["x-webhook-timestamp"];
    const legacySignature = headers["x-webhook-signature"];
    if (this.#legacySecrets.length > 0 && legacyTimestamp !== undefined && legacySignature !== undefined) {
      return this.#verifyLegacy(rawBody, legacyTimestamp, legacySignature);
    }
    return { ok: false, reason: "missing signature headers" };
  }

  #verifyStandard(rawBody: Buffer, headers: WebhookUnbrandedRequiredHeaders): Verification {
    if (!TIMESTAMP.test(headers["webhook-timestamp"])) return { ok: false, reason: "malformed timestamp" };
    let reason = "no webhook secret configured";
    for (const webhook of this.#webhooks) {
      try {
        // Its JSON parse would throw for a signed body just as a bad signature does: we read the body after, once.
        webhook.verify(rawBody, headers, { jsonParse: false });
        return read(rawBody, headers["webhook-id"]);
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
      }
    }
    return { ok: false, reason };
  }

  #verifyLegacy(rawBody: Buffer, timestamp: string, offered: string): Verification {
    const late = this.#outsideWindow(timestamp);
    if (late !== undefined) return { ok: false, reason: late };
    for (const secret of this.#legacySecrets) {
      const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
      if (constantTimeEqual(Buffer.from(offered.trim()), Buffer.from(expected))) {
        // The old scheme has no delivery id; the signature is unique per body and timestamp, so it stands in.
        return read(rawBody, `legacy-${expected}`);
      }
    }
    return { ok: false, reason: "no matching signature" };
  }

  #outsideWindow(value: string): string | undefined {
    if (!TIMESTAMP.test(value)) return "malformed timestamp";
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const sent = Number(value);
    if (now - sent > TOLERANCE_SECONDS) return "timestamp too old";
    if (sent - now > TOLERANCE_SECONDS) return "timestamp too far in the future";
    return undefined;
  }
}

function read(rawBody: Buffer, deliveryId: string): Verification {
  try {
    return { ok: true, deliveryId, payload: JSON.parse(rawBody.toString("utf8")) };
  } catch {
    return { ok: true, deliveryId, unreadable: true };
  }
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
