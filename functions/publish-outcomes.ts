import type { DynamoDBStreamEvent } from "aws-lambda";
import { outcomePublisher } from "../src/app/eventbridge.ts";
import { lambdaFunction, metrics } from "../src/app/observability.ts";
import { recordChanges } from "../src/adapters/stream-changes.ts";
import { publishOutcomes } from "../src/domain/outcomes.ts";
import { log } from "../src/log.ts";

const publisher = outcomePublisher();

/** A failure throws: the stream retries the batch, and past its retries sends it to the dead-letter queue. */
export const handler = lambdaFunction(async (event: DynamoDBStreamEvent): Promise<void> => {
  let published: number;
  try {
    published = await publishOutcomes(publisher, recordChanges(event), metrics);
  } catch (error) {
    // Thrown on for the stream to retry; here is the one place its cause is written.
    metrics.record("OutcomePublishFailures", 1, {});
    log.error("publishing outcomes failed; the stream retries the batch", error, { records: event.Records.length });
    throw error;
  }
  if (published > 0) log.info("outcomes published", { published });
});
