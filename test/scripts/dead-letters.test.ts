/**
 * `npm run dead-letters` against mocked SQS, EventBridge and DynamoDB Streams: the point is the calls made and what is
 * deleted when, which no local service here emulates (the local bus keeps its dead letters in memory).
 */
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { marshall } from "@aws-sdk/util-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { toItem } from "../../src/adapters/operation-items.ts";
import { newOperation, refuse, type StoredOperation } from "../../src/domain/operation.ts";
import { main } from "../../scripts/dead-letters.ts";

const sqs = mockClient(SQSClient);
const bus = mockClient(EventBridgeClient);
const streams = mockClient(DynamoDBStreamsClient);

const REQUEST_DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/RequestDeadLetters";
const OUTCOME_DLQ = "https://sqs.us-east-1.amazonaws.com/123456789012/OutcomeDeadLetters";
const ENV = {
  REQUEST_DLQ_URL: REQUEST_DLQ,
  OUTCOME_DLQ_URL: OUTCOME_DLQ,
  EVENT_BUS_NAME: "linq-chat-ops-prod-bus",
  AWS_REGION: "us-east-1",
};
const NOW = new Date("2026-03-01T18:00:00Z");
const CHAT = "6f1f0c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f";

const EVENT = {
  version: "0",
  id: "0b5c8e0e-1111-2222-3333-444455556666",
  "detail-type": "participant.remove.requested",
  source: "com.example.crm",
  time: "2026-03-01T12:00:00Z",
  detail: { chat_id: CHAT, handle: "+15550100004" },
};

const lambdaFailure = {
  version: "1.0",
  timestamp: "2026-03-01T12:03:10.000Z",
  requestContext: {
    requestId: "e4b46cbf-b738-4a1b-8880-a18cdf61200e",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:OnParticipantRemoveRequested:$LATEST",
    condition: "RetriesExhausted",
    approximateInvokeCount: 3,
  },
  requestPayload: EVENT,
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  responsePayload: { errorType: "LinqUnavailable", errorMessage: "Linq answered 503" },
};

const STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Operations/stream/2026-03-01T00:00:00.000";
const SHARD = "shardId-00000001772366400000-864758bb";
const batchFailure = (firstRecordAt: string) => ({
  requestContext: {
    requestId: "316aa6d0-8154-4b7a-9af7-85d5f4a6bc81",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:PublishOutcomes",
    condition: "RetryAttemptsExhausted",
    approximateInvokeCount: 11,
  },
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  version: "1.0",
  timestamp: "2026-03-01T12:10:00.000Z",
  DDBStreamBatchInfo: {
    shardId: SHARD,
    startSequenceNumber: "800000000003126276362",
    endSequenceNumber: "800000000003126276364",
    approximateArrivalOfFirstRecord: firstRecordAt,
    approximateArrivalOfLastRecord: firstRecordAt,
    batchSize: 1,
    streamArn: STREAM_ARN,
  },
});

function sqsMessage(id: string, body: unknown, attributes: Record<string, string> = {}): Message {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: JSON.stringify(body),
    Attributes: { SentTimestamp: String(Date.parse("2026-03-01T12:05:00Z")) },
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
    ),
  };
}

/** A queue holding these messages: every receive hands them all back, as SQS does once they are visible again. */
function queueHolds(url: string, messages: Message[]): void {
  sqs.on(ReceiveMessageCommand, { QueueUrl: url }).resolves({ Messages: messages });
}

/** A removal that Linq refused for good: the change that made it publishable, as the stream shows it. */
function settledRemoval(): { before: StoredOperation; after: StoredOperation } {
  const at = "2026-03-01T12:00:00.000Z";
  const { calling_since: _none, ...before } = newOperation({
    id: "9a8b7c6d-0000-4000-8000-000000000001",
    chatId: CHAT,
    source: "http",
    now: at,
    kind: "participant.remove",
    request: { handle: "+15550100004" },
  });
  const after = refuse(before, { status: 409, code: 2013, message: "This chat is unavailable" }, at, "linq");
  return { before, after };
}

function streamRecord(sequenceNumber: string, change: { before: StoredOperation; after: StoredOperation }) {
  const image = (record: StoredOperation) =>
    marshall(toItem(record, NOW, { watchWindowMs: 3_600_000, recordTtlSeconds: 86_400 }), {
      removeUndefinedValues: true,
    });
  return {
    eventName: "MODIFY" as const,
    dynamodb: { SequenceNumber: sequenceNumber, OldImage: image(change.before), NewImage: image(change.after) },
  };
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { env: ENV, out: (l) => out.push(l), err: (l) => err.push(l), now: () => NOW });
  return { code, out, err };
}

const deleted = () => sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle);

beforeEach(() => {
  sqs.reset();
  bus.reset();
  streams.reset();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
});

describe("npm run dead-letters -- list", () => {
  it("lists each queue's messages with their reasons, deleting nothing", async () => {
    queueHolds(REQUEST_DLQ, [
      sqsMessage("m-rejected", { reason: "handle must be an E.164 phone number or an email", event: EVENT }),
      sqsMessage("m-failed", lambdaFailure),
      sqsMessage("m-undeliverable", EVENT, {
        ERROR_CODE: "SDK_CLIENT_ERROR",
        ERROR_MESSAGE: "Unable to invoke Lambda function: Rate Exceeded",
        EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
      }),
    ]);
    queueHolds(OUTCOME_DLQ, [sqsMessage("m-batch", batchFailure("2026-03-01T12:00:00Z"))]);

    const { code, out } = await run("list");
    expect(code).toBe(0);
    expect(out).toEqual([
      `request: 3 messages (${REQUEST_DLQ})`,
      "  m-rejected  2026-03-01T12:05:00.000Z  rejected: handle must be an E.164 phone number or an email",
      `      participant.remove.requested from com.example.crm, event ${EVENT.id}, chat ${CHAT} fields: handle`,
      "  m-failed  2026-03-01T12:05:00.000Z  failed: RetriesExhausted after 3 invocations: LinqUnavailable: Linq answered 503",
      `      participant.remove.requested from com.example.crm, event ${EVENT.id}, chat ${CHAT} fields: handle`,
      "  m-undeliverable  2026-03-01T12:05:00.000Z  undeliverable: SDK_CLIENT_ERROR: Unable to invoke Lambda function: Rate Exceeded; MaximumRetryAttempts",
      `      participant.remove.requested from com.example.crm, event ${EVENT.id}, chat ${CHAT} fields: handle`,
      `outcome: 1 message (${OUTCOME_DLQ})`,
      "  m-batch  2026-03-01T12:05:00.000Z  outcome-batch: RetryAttemptsExhausted after 11 invocations: Unhandled",
      `      stream ${SHARD} 800000000003126276362..800000000003126276364 (1 records, written 2026-03-01T12:00:00.000Z); redrivable until 2026-03-02T12:00:00.000Z`,
    ]);
    // A participant's handle never shows: field names only.
    expect(out.join("\n")).not.toContain("+15550100004");
    expect(deleted()).toEqual([]);
    expect(bus.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it("refuses bad input with one sentence", async () => {
    expect(await run("list", "--queue", "both")).toMatchObject({
      code: 2,
      err: ['--queue must be request or outcome, got "both".'],
    });
    expect(await run("replay")).toMatchObject({ code: 2, err: ['Unknown command "replay": use list or redrive.'] });
    const noUrl = await main(["list", "--queue", "outcome"], {
      env: {},
      out: () => {},
      err: (line) =>
        expect(line).toBe(
          "OUTCOME_DLQ_URL is not set: export the OutcomeDeadLetterQueueUrl output of `npx sst deploy`.",
        ),
      now: () => NOW,
    });
    expect(noUrl).toBe(2);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toEqual([]);
  });
});

describe("npm run dead-letters -- redrive", () => {
  it("puts a request event back on the bus under its original id's idempotency key, then deletes its message", async () => {
    queueHolds(REQUEST_DLQ, [sqsMessage("m-failed", lambdaFailure)]);
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "new-event-id" }] });

    const { code, out } = await run("redrive", "--queue", "request");
    expect(code).toBe(0);
    expect(out).toEqual([
      "  redriven request m-failed: put on the bus again as event new-event-id",
      "request: 1 redriven, 0 kept",
    ]);
    expect(bus.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries)).toEqual([
      [
        {
          EventBusName: "linq-chat-ops-prod-bus",
          Source: "com.example.crm",
          DetailType: "participant.remove.requested",
          Detail: JSON.stringify({ ...EVENT.detail, idempotency_key: `event:${EVENT.id}` }),
        },
      ],
    ]);
    expect(deleted()).toEqual(["receipt-m-failed"]);
  });

  it("keeps a message whose redrive failed, and says why", async () => {
    queueHolds(REQUEST_DLQ, [
      sqsMessage("m-refused", lambdaFailure),
      sqsMessage("m-junk", { reason: "not a chat.update.requested event", event: 42 }),
      sqsMessage("m-unroutable", {
        reason: "not a chat.update.requested or participant.remove.requested event",
        event: { ...EVENT, "detail-type": "chat.delete.requested" },
      }),
    ]);
    bus.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
    });

    const { code, out, err } = await run("redrive", "--queue", "request", "--include-rejected");
    expect(code).toBe(1);
    expect(err).toEqual([
      "  kept request m-refused: EventBridge refused it: ThrottlingException: Rate exceeded",
      "  kept request m-junk: it holds no request event the bus could carry",
      '  kept request m-unroutable: its detail-type "chat.delete.requested" matches no subscription on the bus',
    ]);
    expect(out).toEqual(["request: 0 redriven, 3 kept"]);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(deleted()).toEqual([]);
  });

  describe("a rejected event, refused again until a fix is deployed", () => {
    const rejected = sqsMessage("m-rejected", {
      reason: "handle must be an E.164 phone number or an email",
      event: EVENT,
    });

    beforeEach(() => {
      queueHolds(REQUEST_DLQ, [rejected, sqsMessage("m-failed", lambdaFailure)]);
      bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "new-event-id" }] });
    });

    it("is left in the queue by a redrive of the whole queue, which says so", async () => {
      const { code, out } = await run("redrive", "--queue", "request");
      expect(code).toBe(0);
      expect(out).toEqual([
        "  redriven request m-failed: put on the bus again as event new-event-id",
        "request: 1 redriven, 0 kept, 1 rejected left in the queue (name them with --message, or --include-rejected, once fixed)",
      ]);
      expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);
      expect(deleted()).toEqual(["receipt-m-failed"]);
    });

    it("is redriven when --message names it", async () => {
      const { code, out } = await run("redrive", "--queue", "request", "--message", "m-rejected");
      expect(code).toBe(0);
      expect(out).toEqual([
        "  redriven request m-rejected: put on the bus again as event new-event-id",
        "request: 1 redriven, 0 kept",
      ]);
      expect(deleted()).toEqual(["receipt-m-rejected"]);
    });

    it("is redriven with the rest when --include-rejected is given", async () => {
      const { code } = await run("redrive", "--queue", "request", "--include-rejected");
      expect(code).toBe(0);
      expect(deleted()).toEqual(["receipt-m-rejected", "receipt-m-failed"]);
    });

    it("--include-rejected is refused by list", async () => {
      expect(await run("list", "--include-rejected")).toMatchObject({
        code: 2,
        err: ["--include-rejected is for redrive."],
      });
    });
  });

  it("redrives only the messages named", async () => {
    queueHolds(REQUEST_DLQ, [sqsMessage("m-1", lambdaFailure), sqsMessage("m-2", lambdaFailure)]);
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e" }] });
    const { code, err } = await run("redrive", "--queue", "request", "--message", "m-2", "--message", "m-9");
    expect(deleted()).toEqual(["receipt-m-2"]);
    expect(err).toEqual(["  no message m-9 in request"]);
    expect(code).toBe(1);
  });

  it("reads an outcome batch again from the stream by its range, publishes its outcomes, then deletes the message", async () => {
    queueHolds(OUTCOME_DLQ, [sqsMessage("m-batch", batchFailure("2026-03-01T12:00:00Z"))]);
    const change = settledRemoval();
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: "iterator-1" });
    streams
      .on(GetRecordsCommand, { ShardIterator: "iterator-1" })
      .resolves({ Records: [streamRecord("800000000003126276362", change)], NextShardIterator: "iterator-2" });
    streams
      .on(GetRecordsCommand, { ShardIterator: "iterator-2" })
      .resolves({ Records: [streamRecord("800000000003126276365", change)], NextShardIterator: "iterator-3" });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "outcome-event" }] });

    const { code, out } = await run("redrive", "--queue", "outcome");
    expect(code).toBe(0);
    expect(out).toEqual(["  redriven outcome m-batch: 1 outcome event published", "outcome: 1 redriven, 0 kept"]);
    expect(streams.commandCalls(GetShardIteratorCommand)[0]?.args[0].input).toEqual({
      StreamArn: STREAM_ARN,
      ShardId: SHARD,
      ShardIteratorType: "AT_SEQUENCE_NUMBER",
      SequenceNumber: "800000000003126276362",
    });
    // The record past the range is not published again: exactly the batch's own outcomes.
    const entries = bus.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ Source: "linq-chat-ops", DetailType: "operation.failed" });
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({ chat_id: CHAT, status: "failed" });
    expect(deleted()).toEqual(["receipt-m-batch"]);
  });

  it("keeps an outcome batch the stream no longer holds, or one past the 24 h retention, without reading", async () => {
    queueHolds(OUTCOME_DLQ, [
      sqsMessage("m-trimmed", batchFailure("2026-03-01T12:00:00Z")),
      sqsMessage("m-expired", batchFailure("2026-02-28T12:00:00Z")),
    ]);
    streams
      .on(GetShardIteratorCommand)
      .rejects(new TrimmedDataAccessException({ message: "records were trimmed", $metadata: {} }));

    const { code, err } = await run("redrive", "--queue", "outcome");
    expect(code).toBe(1);
    expect(err).toEqual([
      "  kept outcome m-trimmed: records were trimmed",
      expect.stringMatching(/^ {2}kept outcome m-expired: its records were written at 2026-02-28T12:00:00.000Z, past/),
    ]);
    expect(streams.commandCalls(GetShardIteratorCommand)).toHaveLength(1);
    expect(bus.commandCalls(PutEventsCommand)).toEqual([]);
    expect(deleted()).toEqual([]);
  });

  it("keeps an outcome batch whose publish EventBridge refused", async () => {
    queueHolds(OUTCOME_DLQ, [sqsMessage("m-batch", batchFailure("2026-03-01T12:00:00Z"))]);
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: "iterator-1" });
    streams.on(GetRecordsCommand).resolves({ Records: [streamRecord("800000000003126276364", settledRemoval())] });
    bus.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "InternalFailure", ErrorMessage: "try again" }],
    });

    const { code, err } = await run("redrive", "--queue", "outcome");
    expect(code).toBe(1);
    expect(err).toEqual([expect.stringMatching(/^ {2}kept outcome m-batch: EventBridge refused 1 of 1 outcome event/)]);
    expect(deleted()).toEqual([]);
  });
});
