/**
 * Outcome events: exactly one `operation.succeeded` or `operation.failed` per operation, published from the table's
 * stream rather than by the writers. Every write of a record is a change on the stream; the one that made it
 * publishable is its outcome: terminal, with no call to Linq still in flight (a removal settled by its webhook before
 * Linq's answer arrived waits for that answer, which names its public trace id). So no writer can forget to publish,
 * no write is spent on an outbox mark, and a failed publish is retried by the stream (then dead-lettered), never lost.
 * A publish is repeated only if the publisher dies after EventBridge accepted the batch: consumers key on `trace_id`.
 */
import { OUTCOME_SCHEMA_VERSION } from "../definitions/events.ts";
import { isTerminal, toPublicRecord, type OperationRecord, type StoredOperation } from "./operation.ts";
import type { Metrics, OutcomePublisher } from "./ports.ts";

/** An outcome event's detail: the operation record, and the version of this shape. */
export type OutcomeDetail = OperationRecord & { schema_version: typeof OUTCOME_SCHEMA_VERSION };

export function outcomeDetail(record: OperationRecord): OutcomeDetail {
  return { ...record, schema_version: OUTCOME_SCHEMA_VERSION };
}

/** One record change as the stream tells it: the item before and after (absent for a new or deleted item). */
export interface RecordChange {
  before: StoredOperation | undefined;
  after: StoredOperation | undefined;
}

export function isPublishable(record: StoredOperation | undefined): record is StoredOperation {
  return record !== undefined && isTerminal(record.status) && record.calling_since === undefined;
}

/** The outcome this change publishes, if it is the one that made the record publishable. */
export function outcomeOf(change: RecordChange): OperationRecord | undefined {
  const { before, after } = change;
  if (!isPublishable(after) || isPublishable(before)) return undefined;
  return toPublicRecord(after);
}

/**
 * Publishes the outcomes among a batch of changes, in order; throws (for the stream to retry) if any is refused. Each
 * outcome is counted here, once it is on the bus: the one place that sees every operation end exactly once.
 */
export async function publishOutcomes(
  publisher: OutcomePublisher,
  changes: RecordChange[],
  metrics: Metrics,
): Promise<number> {
  const outcomes = changes
    .map(outcomeOf)
    .filter((record) => record !== undefined)
    .map(outcomeDetail);
  if (outcomes.length > 0) await publisher.publish(outcomes);
  for (const record of outcomes) countOutcome(metrics, record);
  return outcomes.length;
}

function countOutcome(metrics: Metrics, record: OperationRecord): void {
  const dimensions = { kind: record.kind, settled_by: settledBy(record) };
  metrics.record(record.status === "succeeded" ? "OperationSucceeded" : "OperationFailed", 1, dimensions);
  if (record.completed_at !== undefined) {
    const elapsed = Date.parse(record.completed_at) - Date.parse(record.created_at);
    metrics.record("TimeToOutcome", Math.max(0, elapsed), dimensions);
  }
}

/** Who decided the outcome: the part that failed first, or the part that succeeded last. */
export function settledBy(record: OperationRecord): string {
  const parts = Object.values(record.results)
    .filter((part) => part.settled_by !== undefined && part.status === record.status)
    .sort((a, b) => (a.settled_at ?? "").localeCompare(b.settled_at ?? ""));
  const decisive = record.status === "failed" ? parts[0] : parts.at(-1);
  return decisive?.settled_by ?? "unknown";
}
