/**
 * The operations table's stream, as Lambda's event source mapping reads it: DynamoDB Local's own stream, polled shard by
 * shard in order, each batch handed to the subscriber; a batch that fails is retried, then given up with a line in the
 * log (where AWS would send it to the dead-letter queue).
 */
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { unlogged } from "../src/app/system.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./dynamodb.ts";

export interface StreamOptions {
  endpoint: string;
  client: DynamoDBClient;
  tableName: string;
  deliver: (event: DynamoDBStreamEvent) => Promise<void>;
  /**
   * Only changes from now on: a table kept from an earlier run (DYNAMODB_DATA_DIR) has its old changes on the stream,
   * and they were published then.
   */
  fromNow?: boolean;
  log?: (line: string) => void;
}

/** Attempts of a failing batch before it is given up (Lambda's `maximumRetryAttempts` + 1). */
const ATTEMPTS = 3;
const POLL_MS = 25;

export interface StreamPoller {
  stop(): Promise<void>;
  /** Resolves once every change made before the call has been handed to the subscriber. */
  drained(): Promise<void>;
}

export async function pollStream(options: StreamOptions): Promise<StreamPoller> {
  const { Table } = await options.client.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`${options.tableName} has no stream`);
  const streams = unlogged(
    new DynamoDBStreamsClient({ endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  const log = options.log ?? (() => {});
  let stopped = false;
  /** Completed passes over every shard that found nothing new; `drained` waits for the next one. */
  let emptyPasses = 0;
  const done = new Set<string>();
  const iterators = new Map<string, string>();
  /** The last record handed over, per shard: where to pick up again. */
  const lastRead = new Map<string, string>();

  /**
   * Opens a shard after the last record read from it, or at its start. DynamoDB Local numbers stream records across all
   * its tables, so a write to another table leaves a gap an iterator reports as trimmed data; reopening loses nothing.
   */
  const open = async (shardId: string) => {
    const last = lastRead.get(shardId);
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(last === undefined
          ? { ShardIteratorType: "TRIM_HORIZON" as const }
          : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER" as const, SequenceNumber: last }),
      }),
    );
    if (ShardIterator === undefined) iterators.delete(shardId);
    else iterators.set(shardId, ShardIterator);
  };

  const refreshShards = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const id = shard.ShardId;
      if (id === undefined || done.has(id) || iterators.has(id)) continue;
      // A child shard waits until its parent is read to the end, so a record's changes stay in order.
      if (shard.ParentShardId !== undefined && !done.has(shard.ParentShardId) && iterators.has(shard.ParentShardId)) {
        continue;
      }
      await open(id);
    }
  };

  const deliver = async (event: DynamoDBStreamEvent) => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await options.deliver(event);
        return;
      } catch (error) {
        if (attempt === ATTEMPTS) log(`stream batch of ${event.Records.length} given up: ${String(error)}`);
        else await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  };

  // Lambda's mapping starts at the stream's end for a table it did not see being written; so does this, by reading what
  // is there without handing it over.
  let skipping = options.fromNow === true;
  const loop = (async () => {
    let sinceRefresh = Number.POSITIVE_INFINITY;
    while (!stopped) {
      try {
        if (sinceRefresh > 40 || iterators.size === 0) {
          await refreshShards();
          sinceRefresh = 0;
        }
        sinceRefresh++;
        let any = false;
        for (const [shardId, iterator] of iterators) {
          let page;
          try {
            page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
          } catch (error) {
            if (!(error instanceof TrimmedDataAccessException || error instanceof ExpiredIteratorException))
              throw error;
            await open(shardId);
            any = true;
            continue;
          }
          const { Records = [], NextShardIterator } = page;
          if (NextShardIterator === undefined || NextShardIterator === null) {
            iterators.delete(shardId);
            done.add(shardId);
          } else iterators.set(shardId, NextShardIterator);
          if (Records.length === 0) continue;
          any = true;
          if (!skipping) await deliver({ Records: Records as DynamoDBStreamEvent["Records"] });
          const last = Records.at(-1)?.dynamodb?.SequenceNumber;
          if (last !== undefined) lastRead.set(shardId, last);
        }
        if (!any) {
          skipping = false;
          emptyPasses++;
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      } catch (error) {
        if (stopped) break;
        log(`stream poll failed: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  })();

  return {
    async drained() {
      // A pass that started after this call and found nothing has seen every earlier change.
      const target = emptyPasses + 2;
      while (!stopped && emptyPasses < target) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    },
    async stop() {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
}
