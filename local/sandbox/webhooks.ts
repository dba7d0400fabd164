import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { ResolvedOptions, WebhookTarget } from "./config.ts";
import type { Scheduler } from "../scheduler.ts";
import type { AttemptResult, EventRecord, TruthLog } from "./truth.ts";

/** Where one event goes: a webhook subscription or a configured target. */
export interface Destination extends WebhookTarget {
  readonly subscriptionId: string | undefined;
  readonly webhookVersion: string;
}

/**
 * Linq's deprecated `X-Webhook-Signature`: hex HMAC-SHA256 of `${timestamp}.${body}`, keyed by the signing secret
 * string itself (as the OpenAPI document's examples do), not by its decoded bytes. Not Standard Webhooks, so written
 * here; the Standard Webhooks signature comes from the `standardwebhooks` package, as Linq's SDK checks it.
 */
export function legacySignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
}

export interface DeliveryDeps {
  readonly scheduler: Scheduler;
  readonly truth: TruthLog;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
  readonly policy: Pick<ResolvedOptions, "retryScheduleMs" | "deliveryTimeoutMs" | "reorderWindowMs" | "partnerId">;
  readonly destinations: (event: EventRecord) => Destination[];
}

/**
 * Sends events the way Linq (Svix) does: signed, at least once, retried with backoff on 5xx, 429 and network errors,
 * never retried on another 4xx, one webhook-id across retries. Applies the drop, duplicate and reorder faults that
 * were drawn for each event.
 */
export class Deliveries {
  readonly #deps: DeliveryDeps;
  readonly #held = new Map<string, { events: EventRecord[]; cancel: () => void }>();
  #dispatched = 0;

  constructor(deps: DeliveryDeps) {
    this.#deps = deps;
  }

  /**
   * A held event waits until a later event of its chat has gone out, or until the reorder window closes; held
   * events then go out newest first. Each goes out only once the one before it was answered, so a receiver sees the
   * reversed order for certain, not by a race.
   */
  publish(event: EventRecord): void {
    if (event.dropped) return;
    if (event.held) {
      this.#hold(event);
      return;
    }
    this.#deps.scheduler.track(this.#dispatchInOrder([event, ...this.#takeHeld(event.chatId)]));
  }

  #hold(event: EventRecord): void {
    const held = this.#held.get(event.chatId);
    if (held !== undefined) {
      held.events.push(event);
      return;
    }
    const cancel = this.#deps.scheduler.after(this.#deps.policy.reorderWindowMs, () => {
      this.#deps.scheduler.track(this.#dispatchInOrder(this.#takeHeld(event.chatId)));
    });
    this.#held.set(event.chatId, { events: [event], cancel });
  }

  /** The chat's held events, newest first. */
  #takeHeld(chatId: string): EventRecord[] {
    const held = this.#held.get(chatId);
    if (held === undefined) return [];
    this.#held.delete(chatId);
    held.cancel();
    return held.events.toReversed();
  }

  async #dispatchInOrder(events: EventRecord[]): Promise<void> {
    let previous: EventRecord | undefined;
    for (const event of events) {
      if (previous !== undefined) event.overtakenBy = previous.eventId;
      await this.#dispatch(event);
      previous = event;
    }
  }

  /** Resolves once every destination answered the first attempt; retries and duplicates go on by themselves. */
  async #dispatch(event: EventRecord): Promise<void> {
    event.dispatchedAt = this.#deps.clock().toISOString();
    event.dispatchSeq = ++this.#dispatched;
    await Promise.all(
      this.#deps.destinations(event).map((destination) => {
        const body = renderEvent(event, this.#deps.policy.partnerId, destination.webhookVersion);
        return this.#attempt(event, destination, body, 1, 1);
      }),
    );
  }

  #attempt(event: EventRecord, destination: Destination, body: string, copy: 1 | 2, attempt: number): Promise<void> {
    const work = this.#post(event, destination, body).then(({ status, error }) => {
      const result = this.#resultOf(status, attempt);
      this.#deps.truth.delivery({
        eventId: event.eventId,
        webhookId: event.webhookId,
        eventType: event.eventType,
        url: destination.url,
        subscriptionId: destination.subscriptionId,
        copy,
        attempt,
        status,
        ...(error === undefined ? {} : { error }),
        result,
        at: this.#deps.clock().toISOString(),
      });
      this.#deps.log(
        `webhook ${event.eventType} ${event.webhookId} → ${destination.url} copy ${copy} attempt ${attempt}: ${status ?? error} (${result})`,
      );
      if (result === "retrying") {
        const wait = this.#deps.policy.retryScheduleMs[attempt - 1] ?? 0;
        this.#deps.scheduler.after(wait, () => void this.#attempt(event, destination, body, copy, attempt + 1));
      } else if (result !== "cancelled" && copy === 1 && event.duplicated) {
        void this.#attempt(event, destination, body, 2, 1);
      }
    });
    this.#deps.scheduler.track(work);
    return work;
  }

  #resultOf(status: number | null, attempt: number): AttemptResult {
    if (this.#deps.scheduler.stopped) return "cancelled";
    if (status !== null && status >= 200 && status < 300) return "delivered";
    const retryable = status === null || status === 429 || status >= 500;
    if (!retryable) return "rejected";
    return attempt <= this.#deps.policy.retryScheduleMs.length ? "retrying" : "gave_up";
  }

  async #post(
    event: EventRecord,
    destination: Destination,
    body: string,
  ): Promise<{ status: number | null; error?: string }> {
    const { clock, scheduler, policy } = this.#deps;
    const timestamp = Math.floor(clock().getTime() / 1000);
    const signature = new Webhook(destination.secret).sign(event.webhookId, new Date(timestamp * 1000), body);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": "linq-sandbox",
      "webhook-id": event.webhookId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
      "x-webhook-event": event.eventType,
      "x-webhook-timestamp": String(timestamp),
      "x-webhook-signature": legacySignature(destination.secret, timestamp, body),
    };
    if (destination.subscriptionId !== undefined) headers["x-webhook-subscription-id"] = destination.subscriptionId;
    try {
      const response = await fetch(destination.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.any([scheduler.signal, AbortSignal.timeout(policy.deliveryTimeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status };
    } catch (error) {
      if (scheduler.stopped) return { status: null, error: "stopped" };
      return { status: null, error: describe(error) };
    }
  }
}

/** The body as sent, Linq's `WebhookEnvelopeBase`; `webhook_version` is the receiving subscription's. */
function renderEvent(event: EventRecord, partnerId: string, webhookVersion: string): string {
  return JSON.stringify({
    api_version: "v3",
    webhook_version: webhookVersion,
    event_type: event.eventType,
    event_id: event.eventId,
    created_at: event.createdAt,
    trace_id: event.traceId,
    partner_id: partnerId,
    data: event.data,
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "timeout";
  const cause = error.cause;
  return cause instanceof Error && "code" in cause ? `${error.message}: ${String(cause.code)}` : error.message;
}
