/**
 * Outcome events: exactly one `operation.succeeded` or `operation.failed` per operation.
 *
 * A settled record carries an outbox mark (`outbox_since`) written in the same conditional write that settled it.
 * Whoever settled it publishes right away and clears the mark; if that function dies in between, the mark stays and
 * the reconciler publishes later. So an outcome is never lost. It can be published twice only if a function dies
 * after EventBridge accepted the event and before the mark was cleared: consumers key on `trace_id` for that case.
 */
import { toPublicRecord, type StoredOperation } from "./operation.ts";
import type { OperationStore, OutcomePublisher } from "./ports.ts";

export interface OutcomeDeps {
  store: OperationStore;
  publisher: OutcomePublisher;
}

/**
 * Publishes after a write, if that write is the one that made the outcome publishable: it set the outbox mark, or it
 * released a marked removal from waiting for Linq's trace id. A write that only carried an existing mark along (a
 * late part recorded after the outcome) leaves the publishing to the writer that set it, or to the reconciler, so one
 * outcome is not published twice.
 */
export async function publishAfterWrite(
  deps: OutcomeDeps,
  before: StoredOperation | undefined,
  after: StoredOperation,
): Promise<void> {
  const wasPublishable = before?.outbox_since !== undefined && !before.awaiting_trace_id;
  if (wasPublishable) return;
  try {
    await deliverOutcome(deps, after);
  } catch {
    // The outcome is stored with its mark, so it is not lost: the reconciler's outbox pass publishes it. Failing the
    // caller now would only make it retry work that is done (and, for a request, call Linq a second time).
  }
}

/** Publishes the record's outcome if it is marked for it, and clears the mark. A removal still awaiting Linq waits. */
export async function deliverOutcome(deps: OutcomeDeps, record: StoredOperation): Promise<void> {
  if (record.outbox_since === undefined || record.awaiting_trace_id) return;
  await deps.publisher.publish([toPublicRecord(record)]);
  await deps.store.clearOutbox(record);
}
