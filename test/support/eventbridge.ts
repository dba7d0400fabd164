/**
 * Driving the local stack through its event bus as a requester would: PutEvents with the AWS SDK's own client, then
 * reading what came of it where a requester looks (the operation routes, the outcome events, the dead letters) and what
 * really happened at Linq (the sandbox's truth).
 */
import { lambdaContext } from "../../local/http-adapter.ts";
import { lambdaRuntime } from "../../local/lambda-runtime.ts";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { EventBridgeEvent } from "aws-lambda";
import { vi } from "vitest";
import type { BusEvent, DeadLetter } from "../../local/bus/index.ts";
import { Faults, type CallFault, type FailMode } from "../../local/sandbox/faults.ts";
import type { CallRecord } from "../../local/sandbox/index.ts";
import { LOCAL_BUS_NAME, type LocalStack, type LocalStackOptions } from "../../local/stack.ts";
import { SERVICE_EVENT_SOURCE } from "../../src/definitions/events.ts";
import { startTestStack } from "./local-stack.ts";

/** Who puts the request events: any source may ask, the subscriptions match on detail-type alone. */
export const REQUESTER = "com.example.crm";

export type OperationRecord = Record<string, unknown> & { trace_id: string; status: string };

/**
 * A stack of its own within one test file. The handlers are module singletons configured from the environment at
 * import, as in Lambda, so a second stack needs fresh modules: what a new deployment's cold containers get.
 * Start one only after the previous one has stopped: the environment is process-wide.
 */
export async function startFreshStack(options: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  vi.resetModules();
  return startTestStack(options);
}

export function busClient(stack: LocalStack): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: stack.bus.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** One PutEvents with one entry on the project's bus; the event's EventBridge id. */
export async function putEvent(
  client: EventBridgeClient,
  detailType: string,
  detail: Record<string, unknown>,
  source = REQUESTER,
): Promise<string> {
  const answer = await client.send(
    new PutEventsCommand({
      Entries: [
        { EventBusName: LOCAL_BUS_NAME, Source: source, DetailType: detailType, Detail: JSON.stringify(detail) },
      ],
    }),
  );
  const entry = answer.Entries?.[0];
  if (answer.FailedEntryCount !== 0 || entry?.EventId === undefined) {
    throw new Error(`PutEvents refused the entry: ${entry?.ErrorCode}: ${entry?.ErrorMessage}`);
  }
  return entry.EventId;
}

/** The event as the bus recorded it, i.e. as its subscribers received it. */
export function busEvent(stack: LocalStack, id: string): BusEvent {
  const event = stack.bus.events().find((candidate) => candidate.id === id);
  if (event === undefined) throw new Error(`no event ${id} on the bus`);
  return event;
}

/** The service's outcome events (`operation.succeeded` / `operation.failed`), optionally of one chat. */
export function outcomeEvents(stack: LocalStack, chatId?: string): BusEvent[] {
  return stack.bus
    .events()
    .filter((event) => event.source === SERVICE_EVENT_SOURCE)
    .filter((event) => chatId === undefined || event.detail.chat_id === chatId);
}

export function deadLettersOf(stack: LocalStack, eventId: string): DeadLetter[] {
  return stack.bus.deadLetters().filter((letter) => letter.event?.id === eventId);
}

/** Linq calls made for one chat, as the sandbox saw them. */
export function linqCalls(stack: LocalStack, chatId: string): CallRecord[] {
  return stack.sandbox!.truth().calls.filter((call) => call.path.startsWith(`/v3/chats/${chatId}`));
}

/** A chat's operation records, newest first, through `GET /v3/chats/{chatId}/operations`. */
export async function chatOperations(stack: LocalStack, chatId: string): Promise<OperationRecord[]> {
  const response = await fetch(`${stack.url}/v3/chats/${chatId}/operations?limit=100`, {
    headers: { authorization: `Bearer ${stack.apiToken}` },
  });
  if (response.status !== 200) throw new Error(`listing operations answered ${response.status}`);
  const page = (await response.json()) as { data: OperationRecord[]; next_cursor: string | null };
  return page.data;
}

/** One record through `GET /v3/chats/{chatId}/operations/{traceId}`. */
export async function chatOperation(stack: LocalStack, chatId: string, traceId: string): Promise<OperationRecord> {
  const response = await fetch(`${stack.url}/v3/chats/${chatId}/operations/${traceId}`, {
    headers: { authorization: `Bearer ${stack.apiToken}` },
  });
  if (response.status !== 200) throw new Error(`reading operation ${traceId} answered ${response.status}`);
  return (await response.json()) as OperationRecord;
}

/** Waits until nothing is left to happen: deliveries and their retries, Linq's outcomes and webhooks. */
export async function quiet(stack: LocalStack): Promise<void> {
  await stack.bus.idle();
  await stack.sandbox?.idle();
  await stack.bus.idle();
  await stack.published();
}

/**
 * Lambda's asynchronous invocation is at least once: the same event, same EventBridge id, can reach the function
 * again. This hands the recorded event to the deployed handler module once more, as that second invocation would.
 */
export async function deliverAgain(event: BusEvent): Promise<void> {
  const { handler } = await import("../../functions/on-operation-requested.ts");
  const scoped = lambdaRuntime();
  await scoped(handler as (event: unknown, context?: unknown) => Promise<unknown>)(
    structuredClone(event),
    lambdaContext("OnChatUpdateRequested", 60),
  );
}

/** What the sandbox does with one Linq call: answers it, fails it with a 5xx before the work, or does the work and then fails. */
export type CallFate = "ok" | "fail" | "fail-after";

/**
 * A sandbox seed whose first Linq calls go exactly as `plan` says at `failRate` and `failMode`. The sandbox draws one
 * decision per call from its seed, whatever the timing, so a run with this seed replays the plan.
 */
export function seedForCalls(plan: readonly CallFate[], failRate: number, failMode: FailMode = "before"): number {
  const rates = { rateLimitRate: 0, failRate, failMode, dropRate: 0, duplicateRate: 0, reorder: 0 };
  for (let seed = 1; seed < 1_000_000; seed++) {
    const faults = new Faults(seed, rates);
    if (plan.every((step) => fateOf(faults.forCall()) === step)) return seed;
  }
  throw new Error(`no seed gives ${plan.join(", ")} at failRate ${failRate}`);
}

/** What became of a call the sandbox recorded, in the terms of `seedForCalls`. */
export function callFate(call: CallRecord): CallFate | "rate-limited" {
  return fateOf(call.fault);
}

function fateOf(fault: CallFault | undefined): CallFate | "rate-limited" {
  if (fault === undefined) return "ok";
  return fault === "failed_before" ? "fail" : fault === "failed_after" ? "fail-after" : "rate-limited";
}
