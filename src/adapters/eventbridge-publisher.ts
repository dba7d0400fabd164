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
      const entries = records.slice(i, i + BATCH).map((record) => this.#entry(record));
      const answer = await this.#client.send(new PutEventsCommand({ Entries: entries }));
      const refused = (answer.Entries ?? []).filter((entry) => entry.ErrorCode !== undefined);
      if ((answer.FailedEntryCount ?? 0) > 0 || refused.length > 0) {
        const reasons = refused.map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage}`).join("; ");
        throw new Error(
          `EventBridge refused ${answer.FailedEntryCount ?? refused.length} outcome event(s): ${reasons}`,
        );
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
