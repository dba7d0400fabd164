/**
 * Outcome events: exactly one `operation.succeeded` or `operation.failed` per operation, published from the table's
 * stream rather than by the writers. Every write of a record is a change on the stream; the one that moved it from
 * `pending` to a terminal state is its outcome. So no writer can forget to publish, no write is spent on an outbox
 * mark, and a failed publish is retried by the stream (then dead-lettered), never lost. A publish is repeated only if
 * the publisher dies after EventBridge accepted the batch: consumers key on `trace_id`.
 */
import { isTerminal, toPublicRecord, type OperationRecord, type StoredOperation } from "./operation.ts";
import type { OutcomePublisher } from "./ports.ts";

/** One record change as the stream tells it: the item before and after (absent for a new or deleted item). */
export interface RecordChange {
  before: StoredOperation | undefined;
  after: StoredOperation | undefined;
}

/** The outcome this change published, if it is the one that made the record terminal. */
export function outcomeOf(change: RecordChange): OperationRecord | undefined {
  const { before, after } = change;
  if (after === undefined || !isTerminal(after.status)) return undefined;
  if (before !== undefined && isTerminal(before.status)) return undefined;
  return toPublicRecord(after);
}

/** Publishes the outcomes among a batch of changes, in order; throws (for the stream to retry) if any is refused. */
export async function publishOutcomes(publisher: OutcomePublisher, changes: RecordChange[]): Promise<number> {
  const outcomes = changes.map(outcomeOf).filter((record) => record !== undefined);
  if (outcomes.length > 0) await publisher.publish(outcomes);
  return outcomes.length;
}
