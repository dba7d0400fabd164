/**
 * functions/publish-outcomes.ts as Lambda runs it on a batch of the operations stream: an outcome EventBridge refuses
 * is counted as a publish failure, written once with its cause, and thrown on for the stream to retry; one it accepts is
 * counted by its kind and who settled it.
 */
import { vi } from "vitest";

vi.hoisted(() => {
  process.env.LOG_LEVEL = "info";
  process.env.EVENT_BUS_NAME = "linq-chat-ops-test-bus";
  process.env.AWS_REGION = "us-east-1";
});

import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler } from "../../functions/publish-outcomes.ts";
import { toItem } from "../../src/adapters/operation-items.ts";
import { updateChat } from "../../src/domain/operations-service.ts";
import { refusal } from "../fakes/linq-api.ts";
import { CHAT, makeWorld } from "../fakes/world.ts";
import { context } from "../http/events.ts";
import { captureOutput } from "../support/log-lines.ts";

const output = captureOutput();
const eventBridge = mockClient(EventBridgeClient);
let batch: DynamoDBStreamEvent;

beforeAll(async () => {
  // A record Linq refused: terminal at once, so its write is the outcome.
  const world = makeWorld();
  world.linq.answerUpdateChat(refusal(409, 1006));
  await updateChat(world, { chatId: CHAT, request: { display_name: "Team" }, source: "http" });
  const record = world.store.all()[0]!;
  const image = marshall(toItem(record, new Date(), { watchWindowMs: 3_600_000, recordTtlSeconds: 86_400 }), {
    removeUndefinedValues: true,
  });
  batch = { Records: [{ eventName: "INSERT", dynamodb: { NewImage: image as never } }] };
});

afterAll(() => {
  eventBridge.restore();
});

describe("PublishOutcomes", () => {
  it("counts a refused publish, writes its cause once, and throws for the stream to retry", async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }],
    });

    await expect(handler(batch, context())).rejects.toThrow(/EventBridge refused 1 of 1/);

    const errors = output.lines().filter((line) => line.level === "ERROR");
    expect(errors).toEqual([
      expect.objectContaining({
        message: "publishing outcomes failed; the stream retries the batch",
        records: 1,
        error: expect.objectContaining({ message: expect.stringContaining("ThrottlingException: Rate exceeded") }),
      }),
    ]);
    expect(output.emf()).toEqual([expect.objectContaining({ OutcomePublishFailures: 1 })]);
  });

  it("counts a published outcome by kind and who settled it", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });

    await handler(batch, context());

    expect(output.emf()).toEqual([
      expect.objectContaining({ kind: "chat.update", settled_by: "linq", OperationFailed: 1, TimeToOutcome: 0 }),
    ]);
  });
});
