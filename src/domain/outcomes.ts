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

/** Publishes the record's outcome if it is marked for it. A removal still waiting for Linq's trace id waits. */
export async function deliverOutcome(deps: OutcomeDeps, record: StoredOperation): Promise<void> {
  if (record.outbox_since === undefined || record.awaiting_trace_id) return;
  await deps.publisher.publish([toPublicRecord(record)]);
  await deps.store.clearOutbox(record);
}
