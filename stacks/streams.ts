import type { BuiltFunction } from "./functions.ts";
import type { Tables } from "./storage.ts";

/**
 * A batch of stream records whose outcomes could not be published: Lambda's on-failure record names the shard and
 * the sequence numbers, which the table's stream keeps for 24 hours; the records themselves stay in the table.
 */
export function createOutcomeDeadLetterQueue(): sst.aws.Queue {
  return new sst.aws.Queue("OutcomeDeadLetters", {
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 60 * 60, sqsManagedSseEnabled: true } },
  });
}

/**
 * Only writes that leave a record terminal can carry an outcome; which one does is decided in the function
 * (domain/outcomes.ts), where it is tested, not in a filter language that cannot be run here.
 */
const OUTCOME_FILTERS = [{ dynamodb: { NewImage: { status: { S: ["succeeded", "failed"] } } } }];

export interface StreamDependencies {
  readonly tables: Tables;
  readonly functions: readonly BuiltFunction[];
  readonly outcomeDeadLetterQueue: sst.aws.Queue;
}

/**
 * Every function that declares `streamOf` reads that table's stream through its own event source mapping (built here
 * rather than by `Dynamo.subscribe`, which cannot bound retries or name a failure destination). A failing batch is
 * split to isolate the record at fault, retried, and past that sent to the dead-letter queue.
 */
export function subscribeStreamHandlers(deps: StreamDependencies): void {
  for (const { definition, fn } of deps.functions) {
    if (!("streamOf" in definition)) continue;
    new aws.lambda.EventSourceMapping(`${definition.name}Stream`, {
      eventSourceArn: deps.tables.operations.nodes.table.streamArn,
      functionName: fn.name,
      startingPosition: "TRIM_HORIZON",
      batchSize: 100,
      maximumBatchingWindowInSeconds: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 10,
      // Within the stream's 24 h retention, so a record is dead-lettered while it can still be read again.
      maximumRecordAgeInSeconds: 6 * 60 * 60,
      destinationConfig: { onFailure: { destinationArn: deps.outcomeDeadLetterQueue.arn } },
      filterCriteria: { filters: OUTCOME_FILTERS.map((filter) => ({ pattern: JSON.stringify(filter) })) },
    });
  }
}
