/**
 * Reading the dead-letter queues' three request shapes and the stream batch record, as AWS writes them, into a
 * reason and what can be sent again.
 */
import { describe, expect, it } from "vitest";
import {
  beyondRetention,
  inRange,
  readDeadLetter,
  redriveEntry,
  type QueuedMessage,
  type StreamBatch,
} from "../../src/domain/dead-letters.ts";

const CHAT = "6f1f0c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f";

/** A request event as EventBridge hands it to the subscriber. */
const EVENT = {
  version: "0",
  id: "0b5c8e0e-1111-2222-3333-444455556666",
  "detail-type": "chat.update.requested",
  source: "com.example.crm",
  account: "123456789012",
  time: "2026-03-01T12:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: { chat_id: CHAT, display_name: "Team" },
};

const message = (body: unknown, attributes: Record<string, string> = {}): QueuedMessage => ({
  id: "m-1",
  body: typeof body === "string" ? body : JSON.stringify(body),
  attributes,
});

/** Lambda's on-failure destination record for an asynchronous invocation. */
const asyncFailure = {
  version: "1.0",
  timestamp: "2026-03-01T12:03:10.000Z",
  requestContext: {
    requestId: "e4b46cbf-b738-4a1b-8880-a18cdf61200e",
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:OnChatUpdateRequested:$LATEST",
    condition: "RetriesExhausted",
    approximateInvokeCount: 3,
  },
  requestPayload: EVENT,
  responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  responsePayload: { errorType: "LinqUnavailable", errorMessage: "Linq answered 503", trace: [] },
};

/** Lambda's on-failure destination record for a DynamoDB stream batch. */
const streamFailure = {
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
    shardId: "shardId-00000001772366400000-864758bb",
    startSequenceNumber: "800000000003126276362",
    endSequenceNumber: "800000000003126276375",
    approximateArrivalOfFirstRecord: "2026-03-01T12:00:00Z",
    approximateArrivalOfLastRecord: "2026-03-01T12:00:01Z",
    batchSize: 2,
    streamArn: "arn:aws:dynamodb:us-east-1:123456789012:table/Operations/stream/2026-03-01T00:00:00.000",
  },
};

describe("reading a dead letter", () => {
  it("ours: a malformed event, with the reason the handler gave", () => {
    const letter = readDeadLetter(message({ reason: "display_name must be 1 to 255 characters", event: EVENT }));
    expect(letter).toEqual({
      kind: "rejected",
      reason: "display_name must be 1 to 255 characters",
      event: { id: EVENT.id, source: EVENT.source, detailType: EVENT["detail-type"], detail: EVENT.detail },
    });
  });

  it("ours, for something that is no event at all: the reason, and nothing the bus could carry", () => {
    const letter = readDeadLetter(message({ reason: "not a chat.update.requested event", event: "junk" }));
    expect(letter).toEqual({ kind: "rejected", reason: "not a chat.update.requested event", event: undefined });
  });

  it("Lambda's on-failure record: the condition, the attempts, the error, and the event it was given", () => {
    expect(readDeadLetter(message(asyncFailure))).toMatchObject({
      kind: "failed",
      reason: "RetriesExhausted after 3 invocations: LinqUnavailable: Linq answered 503",
      event: { id: EVENT.id, detailType: "chat.update.requested" },
    });
    const tooOld = {
      ...asyncFailure,
      requestContext: { ...asyncFailure.requestContext, condition: "EventAgeExceeded" },
    };
    delete (tooOld as Partial<typeof asyncFailure>).responsePayload;
    expect(readDeadLetter(message(tooOld)).reason).toBe("EventAgeExceeded after 3 invocations: Unhandled");
  });

  it("EventBridge's own dead letter: the event as the body, the error in the message attributes", () => {
    const letter = readDeadLetter(
      message(EVENT, {
        RULE_ARN: "arn:aws:events:us-east-1:123456789012:rule/bus/OnChatUpdateRequested",
        TARGET_ARN: "arn:aws:lambda:us-east-1:123456789012:function:OnChatUpdateRequested",
        ERROR_CODE: "SDK_CLIENT_ERROR",
        ERROR_MESSAGE: "Unable to invoke Lambda function: Rate Exceeded",
        EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
        RETRY_ATTEMPTS: "2",
      }),
    );
    expect(letter).toMatchObject({
      kind: "undeliverable",
      reason: "SDK_CLIENT_ERROR: Unable to invoke Lambda function: Rate Exceeded; MaximumRetryAttempts",
      event: { id: EVENT.id, source: "com.example.crm" },
    });
  });

  it("a stream batch: its range, not its records, and when its records were written", () => {
    expect(readDeadLetter(message(streamFailure))).toEqual({
      kind: "outcome-batch",
      reason: "RetryAttemptsExhausted after 11 invocations: Unhandled",
      batch: {
        streamArn: streamFailure.DDBStreamBatchInfo.streamArn,
        shardId: streamFailure.DDBStreamBatchInfo.shardId,
        startSequenceNumber: "800000000003126276362",
        endSequenceNumber: "800000000003126276375",
        batchSize: 2,
        firstRecordAt: "2026-03-01T12:00:00.000Z",
      },
    });
  });

  it("anything else is unreadable, with why", () => {
    expect(readDeadLetter(message("not json"))).toEqual({ kind: "unreadable", reason: "the body is not JSON" });
    expect(readDeadLetter(message([1, 2]))).toEqual({ kind: "unreadable", reason: "the body is not a JSON object" });
    expect(readDeadLetter(message({ hello: "world" })).kind).toBe("unreadable");
    const noRange = { ...streamFailure, DDBStreamBatchInfo: { shardId: "s" } };
    expect(readDeadLetter(message(noRange))).toEqual({
      kind: "unreadable",
      reason: "a stream batch record without its range",
    });
  });
});

describe("redriving", () => {
  const event = { id: EVENT.id, source: EVENT.source, detailType: EVENT["detail-type"], detail: EVENT.detail };

  it("carries the original event id as the idempotency key the handler derived from it", () => {
    expect(redriveEntry(event)).toEqual({
      source: "com.example.crm",
      detailType: "chat.update.requested",
      detail: JSON.stringify({ ...EVENT.detail, idempotency_key: `event:${EVENT.id}` }),
    });
  });

  it("refuses an event no subscription would receive: put back, it would vanish", () => {
    expect(() => redriveEntry({ ...event, detailType: "chat.delete.requested" })).toThrow(
      'its detail-type "chat.delete.requested" matches no subscription on the bus',
    );
  });

  it("carries the original event id when the event's idempotency_key is null, which the handler reads as absent", () => {
    const unkeyed = { ...event, detail: { ...EVENT.detail, idempotency_key: null } };
    expect(JSON.parse(redriveEntry(unkeyed).detail)).toEqual({ ...EVENT.detail, idempotency_key: `event:${EVENT.id}` });
  });

  it("keeps the requester's own idempotency key", () => {
    const keyed = { ...event, detail: { ...EVENT.detail, idempotency_key: "rename-42" } };
    expect(JSON.parse(redriveEntry(keyed).detail)).toEqual({ ...EVENT.detail, idempotency_key: "rename-42" });
  });

  it("reads a stream batch again only within the stream's 24 hours of its first record", () => {
    const batch: StreamBatch = {
      streamArn: "arn",
      shardId: "shard",
      startSequenceNumber: "800000000003126276362",
      endSequenceNumber: "800000000003126276375",
      batchSize: 2,
      firstRecordAt: "2026-03-01T12:00:00.000Z",
    };
    expect(beyondRetention(batch, new Date("2026-03-02T11:59:59Z"))).toBeUndefined();
    expect(beyondRetention(batch, new Date("2026-03-02T12:00:00Z"))).toMatch(/past the stream's 24 h retention/);
    // Sequence numbers pass 2^53: compared exactly.
    expect(inRange("800000000003126276363", batch)).toBe(true);
    expect(inRange("800000000003126276376", batch)).toBe(false);
    expect(inRange("800000000003126276361", batch)).toBe(false);
  });
});
