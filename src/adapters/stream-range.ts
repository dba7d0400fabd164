/**
 * A dead-lettered batch read again from the operations table's stream, by its shard and sequence-number range, into
 * the record changes PublishOutcomes was given (stream-changes.ts reads them the same way).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { inRange, pastRange, type StreamBatch } from "../domain/dead-letters.ts";
import type { RecordChange } from "../domain/outcomes.ts";
import { recordChanges } from "./stream-changes.ts";

/** Empty pages in a row after which an open shard is taken to hold nothing more of the range. */
const MAX_EMPTY_PAGES = 5;

export async function readStreamRange(client: DynamoDBStreamsClient, batch: StreamBatch): Promise<RecordChange[]> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamArn: batch.streamArn,
      ShardId: batch.shardId,
      ShardIteratorType: "AT_SEQUENCE_NUMBER",
      SequenceNumber: batch.startSequenceNumber,
    }),
  );
  const records: DynamoDBStreamEvent["Records"] = [];
  let iterator = ShardIterator;
  let emptyPages = 0;
  let reachedEnd = false;
  while (iterator !== undefined && !reachedEnd && emptyPages < MAX_EMPTY_PAGES) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const read = page.Records ?? [];
    emptyPages = read.length === 0 ? emptyPages + 1 : 0;
    for (const record of read) {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      if (sequenceNumber === undefined) continue;
      if (inRange(sequenceNumber, batch)) records.push(record as DynamoDBStreamEvent["Records"][number]);
      if (pastRange(sequenceNumber, batch)) reachedEnd = true;
    }
    iterator = page.NextShardIterator;
  }
  if (!reachedEnd) {
    throw new Error(
      `the stream no longer holds the whole range ${batch.startSequenceNumber}..${batch.endSequenceNumber} of ${batch.shardId}`,
    );
  }
  return recordChanges({ Records: records });
}
