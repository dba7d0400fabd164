/**
 * The calls the publisher makes and what it makes of PutEvents' answers. Mocked, because the point is the call and the
 * answers real EventBridge gives (partial refusals) that the local bus never does.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { EventBridgePublisher } from "../../src/adapters/eventbridge-publisher.ts";
import type { OperationRecord } from "../../src/domain/operation.ts";

const BUS = "linq-chat-ops-test-bus";
const AT = "2026-03-01T12:00:00.000Z";

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const publisher = new EventBridgePublisher(client, BUS);

beforeEach(() => {
  eventBridge.reset();
});

function removal(traceId: string, status: "succeeded" | "failed" = "succeeded"): OperationRecord {
  return {
    kind: "participant.remove",
    request: { handle: "+15550100001" },
    chat_id: "chat-1",
    trace_id: traceId,
    status,
    results: { participant: { status, settled_at: AT, settled_by: "webhook" } },
    source: "http",
    created_at: AT,
    updated_at: AT,
    linq_attempts: [],
    completed_at: AT,
  };
}

function records(count: number): OperationRecord[] {
  return Array.from({ length: count }, (_, i) => removal(`trace-${i}`));
}

/** What EventBridge answers when it takes every entry of a call. */
function allAccepted(input: { Entries?: unknown[] }) {
  return {
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, i): PutEventsResultEntry => ({ EventId: `event-${i}` })),
  };
}

function sentTraceIds(): string[][] {
  return eventBridge
    .commandCalls(PutEventsCommand)
    .map((call) => (call.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.Detail!).trace_id as string));
}

describe("EventBridgePublisher", () => {
  it("puts each record on the bus as the detail of operation.succeeded or operation.failed from our source", async () => {
    eventBridge.on(PutEventsCommand).callsFake(allAccepted);
    const succeeded = removal("trace-ok");
    const failed = removal("trace-ko", "failed");

    await publisher.publish([succeeded, failed]);

    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: "linq-chat-ops",
          DetailType: "operation.succeeded",
          Detail: JSON.stringify(succeeded),
          Resources: [],
        },
        {
          EventBusName: BUS,
          Source: "linq-chat-ops",
          DetailType: "operation.failed",
          Detail: JSON.stringify(failed),
          Resources: [],
        },
      ],
    });
  });

  it("sends more than 10 records as several calls of at most 10 entries, in order", async () => {
    eventBridge.on(PutEventsCommand).callsFake(allAccepted);

    await publisher.publish(records(23));

    const batches = sentTraceIds();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    expect(batches.flat()).toEqual(records(23).map((record) => record.trace_id));
  });

  it("sends nothing for no records", async () => {
    await publisher.publish([]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("a partial refusal fails the publish, naming each refused entry's trace id and EventBridge's reason", async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" },
        { EventId: "event-1" },
        { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" },
      ],
    });

    const publishing = publisher.publish([removal("trace-a"), removal("trace-b"), removal("trace-c")]);

    await expect(publishing).rejects.toThrow(
      "EventBridge refused 2 of 3 outcome event(s): trace-a InternalFailure: Internal service error; " +
        "trace-c ThrottlingException: Rate exceeded",
    );
  });

  it("a refusal counted but not itemised still fails the publish", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [] });

    await expect(publisher.publish([removal("trace-a")])).rejects.toThrow(
      "EventBridge refused 1 of 1 outcome event(s)",
    );
  });

  it("a refused entry in one batch fails the publish there: the later batches are not sent", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: "event-0" }, { ErrorCode: "InternalFailure", ErrorMessage: "Internal service error" }],
      })
      .callsFake(allAccepted);

    await expect(publisher.publish(records(15))).rejects.toThrow(
      "EventBridge refused 1 of 10 outcome event(s): trace-1 InternalFailure: Internal service error",
    );
    expect(sentTraceIds().map((batch) => batch.length)).toEqual([10]);
  });

  it("a transport error reaches the caller as it is, and the later batches are not sent", async () => {
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    eventBridge.on(PutEventsCommand).rejectsOnce(reset).callsFake(allAccepted);

    await expect(publisher.publish(records(12))).rejects.toBe(reset);
    expect(sentTraceIds().map((batch) => batch.length)).toEqual([10]);
  });
});
