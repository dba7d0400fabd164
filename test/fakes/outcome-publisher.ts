import type { OperationRecord } from "../../src/domain/operation.ts";
import type { OutcomePublisher, RejectedRequests } from "../../src/domain/ports.ts";
import type { Journal } from "./journal.ts";

/** Records every outcome event put on the "bus"; can be told to fail like EventBridge refusing a PutEvents. */
export class FakeOutcomePublisher implements OutcomePublisher {
  readonly published: OperationRecord[] = [];
  #failures = 0;
  readonly #journal: Journal | undefined;

  constructor(journal?: Journal) {
    this.#journal = journal;
  }

  /** The next `times` publish calls throw and publish nothing. */
  failNext(times = 1): void {
    this.#failures = times;
  }

  async publish(records: OperationRecord[]): Promise<void> {
    if (this.#failures > 0) {
      this.#failures--;
      throw new Error("PutEvents failed: 1 entry not accepted");
    }
    for (const record of records) {
      this.published.push(structuredClone(record));
      this.#journal?.add(`publish ${record.trace_id} ${record.status}`);
    }
  }

  /** The outcome events published for one trace id. */
  of(traceId: string): OperationRecord[] {
    return this.published.filter((record) => record.trace_id === traceId);
  }
}

/** The dead-letter queue: every rejected request event with its reason. */
export class FakeRejectedRequests implements RejectedRequests {
  readonly rejected: { event: unknown; reason: string }[] = [];

  async reject(event: unknown, reason: string): Promise<void> {
    this.rejected.push({ event: structuredClone(event), reason });
  }
}
