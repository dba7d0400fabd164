import type { EventFate, Faults } from "./faults.ts";
import type { Ids } from "./ids.ts";
import type { EventRecord, TruthLog } from "./truth.ts";
import type { Deliveries } from "./webhooks.ts";

/** Linq's webhook events: the envelope of linq.md / OpenAPI `WebhookEnvelopeBase`. */

export type ChatEventType =
  | "chat.group_name_updated"
  | "chat.group_icon_updated"
  | "chat.group_name_update_failed"
  | "chat.group_icon_update_failed"
  | "participant.added"
  | "participant.removed";

/**
 * An event's ids and faults, drawn when the request that will cause it is answered: the outcome comes later, on a
 * timer, and drawing then would tie the sequence to timing.
 */
export interface EventTicket {
  readonly eventId: string;
  readonly webhookId: string;
  readonly traceId: string;
  readonly fate: EventFate;
}

export interface NewEvent {
  readonly type: ChatEventType;
  readonly chatId: string;
  readonly data: Record<string, unknown>;
  readonly ticket: EventTicket;
  readonly operationSeq: number | undefined;
}

export class Events {
  readonly #ids: Ids;
  readonly #faults: Faults;
  readonly #clock: () => Date;
  readonly #truth: TruthLog;
  readonly #deliveries: Deliveries;
  readonly #log: (line: string) => void;

  constructor(deps: {
    ids: Ids;
    faults: Faults;
    clock: () => Date;
    truth: TruthLog;
    deliveries: Deliveries;
    log: (line: string) => void;
  }) {
    this.#ids = deps.ids;
    this.#faults = deps.faults;
    this.#clock = deps.clock;
    this.#truth = deps.truth;
    this.#deliveries = deps.deliveries;
    this.#log = deps.log;
  }

  /**
   * `requestTraceId`: the X-Trace-ID of the call causing the event, its envelope's `trace_id` under `traceLink:
   * request`. An id of its own is drawn either way, so switching the setting shifts no other id.
   */
  ticket(requestTraceId: string | undefined): EventTicket {
    const eventId = this.#ids.uuid();
    const webhookId = this.#ids.webhookId();
    const ownTraceId = this.#ids.traceId();
    return { eventId, webhookId, traceId: requestTraceId ?? ownTraceId, fate: this.#faults.forEvent() };
  }

  emit(event: NewEvent): EventRecord {
    const { ticket } = event;
    const record: EventRecord = {
      eventId: ticket.eventId,
      webhookId: ticket.webhookId,
      eventType: event.type,
      chatId: event.chatId,
      operationSeq: event.operationSeq,
      traceId: ticket.traceId,
      createdAt: this.#clock().toISOString(),
      data: event.data,
      dropped: ticket.fate.drop,
      duplicated: ticket.fate.duplicate,
      held: ticket.fate.hold,
      overtakenBy: null,
    };
    this.#truth.events.push(record);
    const faults = [record.dropped && "dropped", record.duplicated && "duplicated", record.held && "held"].filter(
      Boolean,
    );
    this.#log(
      `event ${record.eventType} ${record.eventId} chat ${record.chatId}${faults.length ? ` (${faults.join(", ")})` : ""}`,
    );
    this.#deliveries.publish(record);
    return record;
  }
}

/** The body as sent; `webhook_version` is the receiving subscription's. */
export function renderEvent(event: EventRecord, partnerId: string, webhookVersion: string): string {
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
