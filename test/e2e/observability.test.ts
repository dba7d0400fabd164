/**
 * What the service writes while it works, read from its real output over the whole local stack: an update and a
 * removal through HTTP, Linq's signed webhooks settling them, their outcomes published, and a forged delivery refused.
 * The secrets are known values here, so the test can prove no line holds one.
 */
import { vi } from "vitest";

// Before the logger is imported: it reads its level once, and every invocation returns to it.
vi.hoisted(() => {
  process.env.LOG_LEVEL = "info";
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { metrics as definitions, METRICS_NAMESPACE, serviceName } from "../../src/definitions/metrics.ts";
import { captureOutput, type Line } from "../support/log-lines.ts";
import { callService, eventually, startTestStack } from "../support/local-stack.ts";
import { deliver, linqEvent, signed, webhookSecret } from "../support/webhooks.ts";

const TOKEN = "svc-token-7f3a9c1e-never-logged";
const WEBHOOK_SECRET = webhookSecret("observability: the signing secret, never logged");
/** What the local stack gives the functions as Linq's key when it runs the sandbox. */
const LINQ_KEY = "sandbox-key";
const HANDLES = ["+15550300001", "+15550300002", "+15550300003", "+15550300004", "+15550300005"];
const REMOVED = "+15550300004";

const output = captureOutput({ wholeFile: true });
let stack: LocalStack;
let chatId: string;
let traceIds: string[];

/** The run: an update and a removal, Linq's webhooks settling both, their outcomes published, a forged delivery. */
beforeAll(async () => {
  stack = await startTestStack({ apiToken: TOKEN, webhookSecret: WEBHOOK_SECRET });
  chatId = stack.sandbox!.seedChat({ handles: HANDLES, display_name: "Ops" }).id;
  const rename = await callService(stack, "PUT", `/v3/chats/${chatId}`, { display_name: "Renamed" });
  const removal = await callService(stack, "DELETE", `/v3/chats/${chatId}/participants`, { handle: REMOVED });
  traceIds = [String(rename.body.trace_id), String(removal.body.trace_id)];
  const forged = linqEvent("participant.removed", { chat_id: chatId, handle: REMOVED });
  expect((await deliver(stack, forged, signed(webhookSecret("anyone else's"), forged))).status).toBe(401);
  for (const traceId of traceIds) {
    await eventually(async () => {
      const { body } = await callService(stack, "GET", `/v3/chats/${chatId}/operations/${traceId}`);
      return body.status === "succeeded" ? body : undefined;
    });
  }
  await stack.sandbox!.idle();
  await stack.bus.idle();
  await stack.published();
  // Nothing left for it to do: it reports its numbers, and writes no line.
  await stack.reconcileNow();
});

afterAll(async () => {
  await stack.stop();
});

describe("the service's output over a run", () => {
  it("carries the Lambda context and the service on every line", () => {
    expect(output.lines().length).toBeGreaterThan(0);
    for (const line of output.lines()) {
      expect(line).toMatchObject({
        service: serviceName("local"),
        function_name: expect.any(String),
        function_request_id: expect.any(String),
        cold_start: expect.any(Boolean),
      });
    }
  });

  it("names the operation on every line of its request and of the webhook that settled it", () => {
    const lines = output.lines();
    for (const [traceId, door] of [
      [traceIds[0], "UpdateChat"],
      [traceIds[1], "RemoveParticipant"],
    ] as const) {
      const ofOperation = lines.filter((line) => line.trace_id === traceId);
      expect(ofOperation.map((line) => line.function_name)).toEqual(expect.arrayContaining([door, "LinqWebhook"]));
      for (const line of ofOperation) expect(line.chat_id).toBe(chatId);
    }
    const doors = lines.filter((line) => ["UpdateChat", "RemoveParticipant"].includes(String(line.function_name)));
    for (const line of doors) expect(traceIds).toContain(line.trace_id);
    // An invocation about no operation (the outcome batch) names none: nothing leaks from another invocation.
    for (const line of lines.filter((line) => line.function_name === "PublishOutcomes")) {
      expect(line).not.toHaveProperty("trace_id");
    }
    expect(lines).toContainEqual(expect.objectContaining({ function_name: "LinqWebhook", level: "WARN", status: 401 }));
    expect(lines.filter((line) => line.function_name === "Reconciler")).toEqual([]);
  });

  it("holds no token, key or secret, and no full handle", () => {
    const text = output.text();
    for (const secret of [TOKEN, WEBHOOK_SECRET, WEBHOOK_SECRET.slice("whsec_".length), LINQ_KEY]) {
      expect(text).not.toContain(secret);
    }
    for (const handle of HANDLES) expect(text).not.toContain(handle.slice(1));
  });

  it("counts in CloudWatch's embedded metric format, under exactly the names the alarms use", () => {
    const emf = output.emf();
    const names = new Set(emf.flatMap((line) => metricNames(line)));
    expect([...names].sort()).toEqual(
      [
        "LinqCallLatency",
        "OldestPendingAge",
        "OperationRequested",
        "OperationSucceeded",
        "ReconcilerSettled",
        "TimeToOutcome",
        "WebhookRefused",
        "WebhookVerified",
      ].sort(),
    );
    for (const name of names) expect(definitions).toHaveProperty(name);
    for (const line of emf) {
      expect(line).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE }] },
        service: serviceName("local"),
      });
    }
    const sum = (name: string, where: Record<string, string>) =>
      emf
        .filter((line) => Object.entries(where).every(([key, value]) => line[key] === value))
        .flatMap((line) => [line[name] ?? []].flat() as number[])
        .reduce((total, value) => total + value, 0);
    expect(sum("OperationRequested", { kind: "chat.update", source: "http" })).toBe(1);
    expect(sum("OperationRequested", { kind: "participant.remove", source: "http" })).toBe(1);
    expect(sum("OperationSucceeded", { kind: "chat.update", settled_by: "webhook" })).toBe(1);
    expect(sum("OperationSucceeded", { kind: "participant.remove", settled_by: "webhook" })).toBe(1);
    expect(sum("WebhookRefused", {})).toBe(1);
    expect(sum("ReconcilerSettled", {})).toBe(0);
    expect(sum("OldestPendingAge", {})).toBe(0);
  });
});

function metricNames(line: Line): string[] {
  const aws = line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
  return aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics.map((metric) => metric.Name));
}
