import type { DynamoDBStreamEvent } from "aws-lambda";
import { outcomePublisher } from "../src/app/eventbridge.ts";
import { recordChanges } from "../src/adapters/stream-changes.ts";
import { publishOutcomes } from "../src/domain/outcomes.ts";
import { log } from "../src/log.ts";

const publisher = outcomePublisher();

/** A failure throws: the stream retries the batch, and past its retries sends it to the dead-letter queue. */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  const published = await publishOutcomes(publisher, recordChanges(event));
  if (published > 0) log.info("outcomes published", { published });
}
