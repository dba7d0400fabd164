/**
 * Outcome events onto EventBridge: the real bus when deployed, the local bus in `npm start` (same client, another
 * endpoint). PutEvents can accept some entries and refuse others in one answer, so the answer is checked entry by entry.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { SERVICE_EVENT_SOURCE, type OutcomeDetailType } from "../definitions/events.ts";
import type { OperationRecord } from "../domain/operation.ts";
import type { OutcomePublisher } from "../domain/ports.ts";

/** PutEvents takes at most 10 entries a call. */
const BATCH = 10;

export class EventBridgePublisher implements OutcomePublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;

  constructor(client: EventBridgeClient, busName: string) {
    this.#client = client;
    this.#busName = busName;
  }

  async publish(records: OperationRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += BATCH) {
      const batch = records.slice(i, i + BATCH);
      const answer = await this.#client.send(new PutEventsCommand({ Entries: batch.map((r) => this.#entry(r)) }));
      // Answer entries come in request order, so a refused entry is named by the record at its index.
      const refused = (answer.Entries ?? []).flatMap((entry, j) =>
        entry.ErrorCode === undefined ? [] : [`${batch[j]?.trace_id} ${entry.ErrorCode}: ${entry.ErrorMessage}`],
      );
      const count = Math.max(answer.FailedEntryCount ?? 0, refused.length);
      if (count > 0) {
        const named = refused.length > 0 ? `: ${refused.join("; ")}` : "";
        throw new Error(`EventBridge refused ${count} of ${batch.length} outcome event(s)${named}`);
      }
    }
  }

  #entry(record: OperationRecord): PutEventsRequestEntry {
    const detailType: OutcomeDetailType = record.status === "succeeded" ? "operation.succeeded" : "operation.failed";
    return {
      EventBusName: this.#busName,
      Source: SERVICE_EVENT_SOURCE,
      DetailType: detailType,
      Detail: JSON.stringify(record),
      Resources: [],
    };
  }
}
