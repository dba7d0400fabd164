import { isE164 } from "./chats.ts";
import { invalidValue } from "./errors.ts";
import type { Ids } from "./ids.ts";
import { found, type JsonObject, optionalString, requiredArray, requiredString } from "./validate.ts";
import type { Destination } from "./webhooks.ts";

/** `/v3/webhook-subscriptions`: where events go, each subscription with its own signing secret. */

export interface WebhookSubscription {
  id: string;
  target_url: string;
  subscribed_events: string[];
  phone_numbers: string[] | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

/** The event types of `@linqapp/sdk` 0.28.2 (`WebhookEventType`). */
export const WEBHOOK_EVENT_TYPES: readonly string[] = [
  "message.sent",
  "message.received",
  "message.read",
  "message.delivered",
  "message.failed",
  "message.edited",
  "reaction.added",
  "reaction.removed",
  "participant.added",
  "participant.removed",
  "chat.created",
  "chat.group_name_updated",
  "chat.group_icon_updated",
  "chat.group_name_update_failed",
  "chat.group_icon_update_failed",
  "chat.typing_indicator.started",
  "chat.typing_indicator.stopped",
  "phone_number.status_updated",
  "call.initiated",
  "call.ringing",
  "call.answered",
  "call.ended",
  "call.failed",
  "call.declined",
  "call.no_answer",
  "location.sharing.started",
  "location.sharing.stopped",
];

export const LATEST_WEBHOOK_VERSION = "2026-02-03";
const WEBHOOK_VERSIONS = ["2025-01-01", LATEST_WEBHOOK_VERSION];
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

export class Subscriptions {
  readonly #subscriptions = new Map<string, { subscription: WebhookSubscription; secret: string }>();
  readonly #ids: Ids;
  readonly #clock: () => Date;

  constructor(ids: Ids, clock: () => Date) {
    this.#ids = ids;
    this.#clock = clock;
  }

  /** The signing secret is shown once, here, as on Linq. */
  create(body: JsonObject): WebhookSubscription & { signing_secret: string } {
    const targetUrl = this.#unusedTargetUrl(requiredString(body, "target_url"), undefined);
    const subscribedEvents = eventTypesOf(requiredArray(body, "subscribed_events"));
    const phoneNumbers = phoneNumbersOf(body["phone_numbers"]);
    const now = this.#clock().toISOString();
    const subscription: WebhookSubscription = {
      id: this.#ids.uuid(),
      target_url: targetUrl,
      subscribed_events: subscribedEvents,
      phone_numbers: phoneNumbers,
      is_active: true,
      created_at: now,
      updated_at: now,
    };
    const secret = this.#ids.signingSecret();
    this.#subscriptions.set(subscription.id, { subscription, secret });
    return { ...subscription, signing_secret: secret };
  }

  list(): WebhookSubscription[] {
    return [...this.#subscriptions.values()].map(({ subscription }) => ({ ...subscription }));
  }

  get(id: string): WebhookSubscription {
    return { ...found(this.#subscriptions.get(id)).subscription };
  }

  update(id: string, body: JsonObject): WebhookSubscription {
    const { subscription } = found(this.#subscriptions.get(id));
    const targetUrl = optionalString(body, "target_url");
    const events = body["subscribed_events"];
    const isActive = body["is_active"];
    if (isActive !== undefined && typeof isActive !== "boolean") throw invalidValue("is_active must be a boolean");
    if (targetUrl !== undefined) subscription.target_url = this.#unusedTargetUrl(targetUrl, id);
    if (events !== undefined && events !== null)
      subscription.subscribed_events = eventTypesOf(requiredArray(body, "subscribed_events"));
    if (body["phone_numbers"] !== undefined) subscription.phone_numbers = phoneNumbersOf(body["phone_numbers"]);
    if (isActive !== undefined) subscription.is_active = isActive;
    subscription.updated_at = this.#clock().toISOString();
    return { ...subscription };
  }

  delete(id: string): void {
    found(this.#subscriptions.get(id));
    this.#subscriptions.delete(id);
  }

  /** Linq takes each target URL once per account, so a second secret for one receiver needs a second URL. */
  #unusedTargetUrl(value: string, ownId: string | undefined): string {
    const targetUrl = targetUrlOf(value);
    const taken = [...this.#subscriptions.values()].some(
      ({ subscription }) => subscription.target_url === targetUrl && subscription.id !== ownId,
    );
    if (taken) throw invalidValue("target_url is already used by another webhook subscription");
    return targetUrl;
  }

  /** `ownNumber`: the chat's own handle, matched against a subscription's `phone_numbers` filter. */
  destinations(eventType: string, ownNumber: string | undefined): Destination[] {
    return [...this.#subscriptions.values()]
      .filter(
        ({ subscription }) =>
          subscription.is_active &&
          subscription.subscribed_events.includes(eventType) &&
          (subscription.phone_numbers === null || subscription.phone_numbers.includes(ownNumber ?? "")),
      )
      .map(({ subscription, secret }) => ({
        url: subscription.target_url,
        secret,
        subscriptionId: subscription.id,
        webhookVersion: new URL(subscription.target_url).searchParams.get("version") ?? LATEST_WEBHOOK_VERSION,
      }));
  }
}

/** Linq requires HTTPS; the sandbox also takes plain HTTP on loopback, where local receivers live. */
function targetUrlOf(value: string): string {
  if (!URL.canParse(value)) throw invalidValue("target_url must be a URL");
  const url = new URL(value);
  const loopbackHttp = url.protocol === "http:" && LOOPBACK_HOSTS.includes(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) throw invalidValue("target_url must be HTTPS");
  const version = url.searchParams.get("version");
  if (version !== null && !WEBHOOK_VERSIONS.includes(version)) {
    throw invalidValue(`version must be one of ${WEBHOOK_VERSIONS.join(", ")}`);
  }
  return value;
}

function eventTypesOf(values: unknown[]): string[] {
  const unknown = values.find((value) => typeof value !== "string" || !WEBHOOK_EVENT_TYPES.includes(value));
  if (unknown !== undefined) throw invalidValue(`unknown event type ${JSON.stringify(unknown)}`);
  return [...new Set(values as string[])];
}

/** No filter, null or empty alike, means every number of the account (the SDK's words). */
function phoneNumbersOf(value: unknown): string[] | null {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) return null;
  if (!Array.isArray(value) || value.some((number) => typeof number !== "string" || !isE164(number))) {
    throw invalidValue("phone_numbers must be E.164 numbers");
  }
  return value as string[];
}
