/**
 * Weighing evidence against a chat's operations: which operations could still own an outcome event of a part, and the
 * assignment of kept ambiguous events once the evidence decides them. Pure: shared by the webhook (correlation.ts)
 * and the reconciler, which turn the decisions into writes.
 */
import { isUnresolved, type KeptEvent } from "./kept-event.ts";
import { partsOf, settlePart, webhookEvidence, type Evidence, type Part, type StoredOperation } from "./operation.ts";
import type { Change, ChatView } from "./ports.ts";
import { normalizeHandle } from "./validation.ts";

type WebhookEvidence = Extract<Evidence, { source: "webhook" }>;

/**
 * How many more outcome events of this part the operation may still receive: one per call Linq accepted or may have
 * accepted (a retry after an ambiguous 5xx makes two), one for a call still in flight, less the events it has had.
 * Of a failure event, one fewer when the chat showed the part done and no success event has come: one call succeeded,
 * and its event, lost or late, is a success.
 */
export function capacity(record: StoredOperation, part: Part, outcome?: "succeeded" | "failed"): number {
  if (!partsOf(record).includes(part)) return 0;
  const calls =
    record.linq_attempts.filter((attempt) => attempt.result !== "refused").length +
    (record.calling_since === undefined ? 0 : 1);
  const heard = (record.results[part]?.evidence ?? []).filter((e) => e.source === "webhook");
  const result = record.results[part];
  const shownByChat =
    outcome === "failed" &&
    result?.status === "succeeded" &&
    result.settled_by === "reconciler" &&
    result.basis === "proven" &&
    heard.every((e) => e.error_code !== undefined);
  return Math.max(0, calls - heard.length - (shownByChat ? 1 : 0));
}

/** The operations of the view that could own one more outcome event of this part (of this outcome), oldest first. */
/**
 * The operations of the view that could own one more outcome event of this part. Those the outcome fits come first
 * (the part still pending, or settled the same way): a failure for a part whose own event said it succeeded would need
 * Linq to have done the same request twice with opposite results. Then oldest first.
 */
export function candidatesFor(view: ChatView, part: Part, outcome?: "succeeded" | "failed"): StoredOperation[] {
  const rank = (record: StoredOperation) => (fits(record, part, outcome) ? 2 : 0) + (owed(record, part) > 0 ? 1 : 0);
  return view.operations
    .filter((record) => capacity(record, part, outcome) > 0)
    .sort((a, b) => rank(b) - rank(a) || byAge(a, b));
}

/**
 * Whether an operation of the view took an event of this part by deadline: eliminating against that choice is no
 * better than the choice itself, so what follows from it is marked the same way.
 */
export function chosenByDeadline(view: ChatView, part: Part): boolean {
  return view.operations.some((record) =>
    (record.results[part]?.evidence ?? []).some((e) => e.source === "webhook" && e.matched_by === "deadline"),
  );
}

/**
 * Events of this part the operation is owed for sure: one per call Linq accepted, less those heard. An operation owed
 * one is a likelier owner than one whose room comes only from calls that may never have reached Linq.
 */
function owed(record: StoredOperation, part: Part): number {
  if (!partsOf(record).includes(part)) return 0;
  const accepted = record.linq_attempts.filter((attempt) => attempt.result === "accepted").length;
  const heard = (record.results[part]?.evidence ?? []).filter((e) => e.source === "webhook").length;
  return Math.max(0, accepted - heard);
}

export function fits(record: StoredOperation, part: Part, outcome?: "succeeded" | "failed"): boolean {
  const status = record.results[part]?.status;
  return outcome === undefined || status === "pending" || status === outcome;
}

export function byAge(a: StoredOperation, b: StoredOperation): number {
  return a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);
}

/** Whether a redelivery: the same `event_id` or the same `webhook-id` has been seen on this chat. */
export function alreadySeen(view: ChatView, eventId: string, webhookId: string | undefined): boolean {
  const seen = (e: { event_id?: string; webhook_id?: string } | undefined) =>
    e !== undefined && (e.event_id === eventId || (webhookId !== undefined && e.webhook_id === webhookId));
  return (
    view.operations.some((record) => webhookEvidence(record).some(seen)) ||
    view.events.some((event) => event.id === `event#${eventId}` || seen(event.evidence))
  );
}

export function sameHandle(a: string, b: string): boolean {
  try {
    return normalizeHandle(a) === normalizeHandle(b);
  } catch {
    return false;
  }
}

/**
 * The writes a decision makes, keyed so that one record changed twice in one decision is written once, from the
 * version it was read at.
 */
export class Decision {
  readonly #view: ChatView;
  readonly #operations = new Map<string, { before: StoredOperation; after: StoredOperation }>();
  readonly #events = new Map<string, { before: KeptEvent | undefined; after: KeptEvent }>();

  constructor(view: ChatView) {
    this.#view = view;
  }

  /** The record as this decision has it so far. */
  current(record: StoredOperation): StoredOperation {
    return this.#operations.get(record.id)?.after ?? record;
  }

  /** The view as this decision has changed it so far. */
  view(): ChatView {
    return {
      chatId: this.#view.chatId,
      operations: this.#view.operations.map((record) => this.current(record)),
      events: [
        ...this.#view.events.map((event) => this.#events.get(event.id)?.after ?? event),
        ...[...this.#events.values()].filter((e) => e.before === undefined).map((e) => e.after),
      ],
    };
  }

  operation(record: StoredOperation, next: StoredOperation): void {
    const before = this.#operations.get(record.id)?.before ?? this.#original(record.id) ?? record;
    this.#operations.set(record.id, { before, after: next });
  }

  /**
   * Writes the records unchanged but for their version, so a concurrent decision that read them fails and reads again:
   * it must see the event this decision keeps.
   */
  touch(records: StoredOperation[]): void {
    for (const record of records) if (!this.#operations.has(record.id)) this.operation(record, record);
  }

  event(before: KeptEvent | undefined, after: KeptEvent): void {
    const existing = this.#events.get(after.id);
    this.#events.set(after.id, { before: existing === undefined ? before : existing.before, after });
  }

  settled(): StoredOperation[] {
    return [...this.#operations.values()].map((change) => change.after);
  }

  changes(): Change[] {
    return [
      ...[...this.#operations.values()].map(({ before, after }) => ({ type: "operation" as const, before, after })),
      ...[...this.#events.values()].map(({ before, after }) => ({ type: "event" as const, before, after })),
    ];
  }

  #original(id: string): StoredOperation | undefined {
    return this.#view.operations.find((record) => record.id === id);
  }
}

/**
 * Assigns kept ambiguous events whose owner the evidence now decides: only one operation can still take an event of
 * that part, or every candidate must take all it can (as many events of one outcome as the candidates can still
 * receive). Repeats until nothing more is decided, since each assignment may decide another.
 */
export function resolveAmbiguous(decision: Decision, part: Part, at: string): void {
  for (let progress = true; progress;) {
    progress = false;
    const view = decision.view();
    const open = view.events.filter((event) => isUnresolved(event) && event.part === part).sort(byReceipt);
    if (open.length === 0) return;
    const sameOutcome = open.every((event) => event.outcome === open[0]?.outcome);
    const outcome = sameOutcome ? open[0]?.outcome : undefined;
    const candidates = candidatesFor(view, part, outcome);
    const room = candidates.reduce((sum, record) => sum + capacity(record, part, outcome), 0);
    if (candidates.length === 1 || (sameOutcome && room === open.length && candidates.length > 0)) {
      const targets = candidates.flatMap((record) =>
        Array.from({ length: capacity(record, part, outcome) }, () => record),
      );
      open.forEach((event, i) => {
        const target = targets[i];
        if (target !== undefined) {
          const guessed = chosenByDeadline(view, part);
          const how = guessed ? "by elimination, after another was chosen by deadline" : "by elimination";
          assign(decision, event, target, how, at, guessed ? "deadline" : "elimination");
        }
      });
      progress = true;
    }
    if (candidates.length === 0) {
      // Nobody can own it any more (its candidates settled by their own events): it stays a change of the chat.
      for (const event of open) decision.event(event, { ...event, kind: "change", reason: "no operation can own it" });
      return;
    }
  }
}

function byReceipt(a: KeptEvent, b: KeptEvent): number {
  return a.received_at.localeCompare(b.received_at) || a.id.localeCompare(b.id);
}

/** Settles (or adds evidence to) the operation an ambiguous event turned out to belong to, inferred. */
export function assign(
  decision: Decision,
  event: KeptEvent,
  target: StoredOperation,
  how: string,
  at: string,
  matchedBy: "elimination" | "deadline" = "elimination",
): void {
  const evidence = event.evidence;
  if (evidence === undefined || event.part === undefined || event.outcome === undefined) return;
  const record = decision.current(target);
  const next = settlePart(record, event.part, {
    status: event.outcome,
    at: evidence.at,
    recordedAt: at,
    by: "webhook",
    basis: "inferred",
    ...(evidence.error_code === undefined ? {} : { errorCode: evidence.error_code }),
    reason: outcomeReason(evidence, how),
    evidence: { ...evidence, matched_by: matchedBy },
  });
  decision.operation(target, next);
  decision.event(event, { ...event, resolved_to: target.id });
}

export function outcomeReason(evidence: WebhookEvidence, how: string): string {
  const code = evidence.error_code === undefined ? "" : ` (error_code ${evidence.error_code})`;
  return `Linq reported ${evidence.event_type}${code}; tied to this operation ${how}`;
}
