import type { Chat } from "./chats.ts";
import type { CallFault } from "./faults.ts";
import type { WebhookSubscription } from "./subscriptions.ts";

/**
 * The ground truth of a run: what clients asked, what really happened, and every webhook attempt, so a test can
 * compare what a client concluded with what actually took place.
 */

/** Every API call, answered or refused. */
export interface CallRecord {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  /** The trace id of this call (returned in removal/add bodies and in error envelopes). */
  readonly traceId: string;
  status: number;
  code?: number;
  fault?: CallFault;
  /** The operation this call started, when it started one. */
  operationSeq?: number;
  readonly at: string;
}

/** `human.*`: a person's change on their phone, which no API call made. */
export type OperationKind =
  | "chat.update"
  | "participant.remove"
  | "participant.add"
  | "human.rename"
  | "human.set_icon"
  | "human.add"
  | "human.remove";

export type OutcomePart = "display_name" | "group_chat_icon" | "participant";

/** `never`: accepted, but nothing happens and no event is sent. */
export type OutcomeStatus = "pending" | "applied" | "failed" | "never";

export interface Outcome {
  readonly part: OutcomePart;
  status: OutcomeStatus;
  /** `error_code` of the failure event. */
  errorCode?: number;
  /** Why a `never` outcome never happened. */
  reason?: string;
  /** What the chat shows for this part once applied: the name, or the icon's URL (Linq's own under `iconMode: rehost`). */
  value?: string;
  /** The event reporting this outcome, if one was emitted (it may still be dropped: see `events`). */
  eventId?: string;
  settledAt?: string;
}

/** A change that was accepted (including one whose answer was replaced by a 500 after the fact). */
export interface OperationRecord {
  readonly seq: number;
  readonly kind: OperationKind;
  readonly chatId: string;
  /** The accepting call's trace id; `undefined` for a human's change, which no API call made. */
  readonly traceId: string | undefined;
  readonly request: Readonly<Record<string, string>>;
  /** What the client was told: 200/202, or 500 when the answer was lost after acceptance; none for a human's change. */
  answer?: number;
  readonly outcomes: Outcome[];
  readonly acceptedAt: string;
}

export interface EventRecord {
  readonly eventId: string;
  /** The `webhook-id` header, the same on every attempt and duplicate. */
  readonly webhookId: string;
  readonly eventType: string;
  readonly chatId: string;
  readonly operationSeq: number | undefined;
  readonly traceId: string;
  readonly createdAt: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly dropped: boolean;
  readonly duplicated: boolean;
  /** Held back by the reorder fault. */
  readonly held: boolean;
  /** The later event of the same chat that went out before this one, if any did. */
  overtakenBy: string | null;
  /** When, and in which order, it was handed to delivery; absent for a dropped event or one still held. */
  dispatchedAt?: string;
  dispatchSeq?: number;
}

export type AttemptResult = "delivered" | "retrying" | "rejected" | "gave_up" | "cancelled";

export interface DeliveryRecord extends Pick<EventRecord, "eventId" | "webhookId" | "eventType"> {
  readonly url: string;
  /** `undefined` for a configured target rather than a subscription. */
  readonly subscriptionId: string | undefined;
  /** 2 for the second copy of a duplicated event. */
  readonly copy: 1 | 2;
  readonly attempt: number;
  /** `null` on a network error or timeout. */
  readonly status: number | null;
  readonly error?: string;
  readonly result: AttemptResult;
  readonly at: string;
}

/** A part's real outcome, with the fate of the event that reports it (none for `pending` and `never`). */
export interface JudgedPart extends Outcome {
  readonly eventType?: string;
  /** Never sent to anyone. */
  readonly eventDropped?: boolean;
  /** Some receiver answered a delivery of it 2xx. */
  readonly eventDelivered?: boolean;
}

/** One accepted change, judged: what a chaos test holds a service's operation record against. */
export interface JudgedOperation extends Pick<OperationRecord, "kind" | "chatId" | "traceId" | "request" | "answer"> {
  readonly operationSeq: number;
  readonly parts: readonly JudgedPart[];
  /** The events emitted for it, one per settled part that has an event. */
  readonly eventIds: readonly string[];
}

export interface SandboxTruth {
  readonly seed: number;
  readonly calls: readonly CallRecord[];
  readonly operations: readonly OperationRecord[];
  readonly events: readonly EventRecord[];
  readonly deliveries: readonly DeliveryRecord[];
  /** The chats' state now (after `idle()`: their final state). */
  readonly chats: readonly Chat[];
  readonly subscriptions: readonly WebhookSubscription[];
  /**
   * Every change accepted through the API, by the X-Trace-ID of the call that accepted it; a call refused (4xx, 429,
   * a 500 before the work) accepted nothing and is not here. A client's retry is a call of its own: its own entry.
   */
  readonly traces: Readonly<Record<string, JudgedOperation>>;
  /** Every person's change on their phone (`human.*`), oldest first. */
  readonly humanChanges: readonly JudgedOperation[];
}

export class TruthLog {
  readonly #keep: number;
  readonly #calls: CallRecord[] = [];
  readonly #operations: OperationRecord[] = [];
  readonly #events: EventRecord[] = [];
  readonly #deliveries: DeliveryRecord[] = [];
  /** Numbers given so far, by kind: forgotten records keep theirs, so a `seq` never repeats. */
  #callsNumbered = 0;
  #operationsNumbered = 0;

  /**
   * `keep`: how many of the latest records of each kind to keep (default all: tests and chaos runs judge the whole
   * run). A long-running `npm start`, which nobody judges, keeps a window so its memory stays flat.
   */
  constructor(keep = Infinity) {
    if (!(keep >= 1)) throw new Error(`a truth log keeps at least 1 record of each kind, not ${keep}`);
    this.#keep = keep;
  }

  /** Records a call, numbered from 1 in order. */
  call = (record: Omit<CallRecord, "seq">): CallRecord =>
    this.#append(this.#calls, { seq: ++this.#callsNumbered, ...record } as CallRecord);
  /** Records an accepted change, numbered from 1 in order. */
  operation = (record: Omit<OperationRecord, "seq">): OperationRecord =>
    this.#append(this.#operations, { seq: ++this.#operationsNumbered, ...record } as OperationRecord);
  event = (record: EventRecord): EventRecord => this.#append(this.#events, record);
  delivery = (record: DeliveryRecord): DeliveryRecord => this.#append(this.#deliveries, record);

  #append<T>(records: T[], record: T): T {
    records.push(record);
    if (records.length > this.#keep) records.splice(0, records.length - this.#keep);
    return record;
  }

  /** A copy of everything, with each operation judged against the events and deliveries it led to. */
  snapshot(seed: number, chats: readonly Chat[], subscriptions: readonly WebhookSubscription[]): SandboxTruth {
    const events = new Map(this.#events.map((event) => [event.eventId, event]));
    const delivered = new Set(this.#deliveries.filter((d) => d.result === "delivered").map((d) => d.eventId));
    const judge = (operation: OperationRecord): JudgedOperation => ({
      operationSeq: operation.seq,
      kind: operation.kind,
      chatId: operation.chatId,
      traceId: operation.traceId,
      request: operation.request,
      answer: operation.answer,
      parts: operation.outcomes.map((outcome) => {
        const event = outcome.eventId === undefined ? undefined : events.get(outcome.eventId);
        if (event === undefined) return outcome;
        return {
          ...outcome,
          eventType: event.eventType,
          eventDropped: event.dropped,
          eventDelivered: delivered.has(event.eventId),
        };
      }),
      eventIds: operation.outcomes.flatMap((outcome) => (outcome.eventId === undefined ? [] : [outcome.eventId])),
    });
    const judged = this.#operations.map(judge);
    return structuredClone({
      seed,
      calls: this.#calls,
      operations: this.#operations,
      events: this.#events,
      deliveries: this.#deliveries,
      chats,
      subscriptions,
      traces: Object.fromEntries(judged.flatMap((j) => (j.traceId === undefined ? [] : [[j.traceId, j]]))),
      humanChanges: judged.filter((j) => j.traceId === undefined),
    });
  }
}
