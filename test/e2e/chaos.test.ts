/**
 * A replayable chaos run: Linq fails calls (before or after doing the work), duplicates, reorders and drops webhooks,
 * and callers retry with their Idempotency-Key as they should. Whatever happens, each request ends as exactly one
 * operation, in a final state that matches what really happened to the chat, with exactly one outcome event.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { eventually, startTestStack } from "../support/local-stack.ts";

// CHAOS_SEED replays or explores another run; the default is the one CI replays.
const SEED = Number(process.env.CHAOS_SEED ?? 20261121);
const CHATS = 24;

interface Request {
  chatId: string;
  kind: "chat.update" | "participant.remove";
  body: Record<string, string>;
  key: string;
}

let stack: LocalStack;
const requests: Request[] = [];

beforeAll(async () => {
  // Linq failing on purpose is logged as a warning by every handler it hits: hundreds of lines that say nothing here.
  process.env.LOG_LEVEL = "silent";
  stack = await startTestStack({
    sandbox: {
      seed: SEED,
      failRate: 0.15,
      failMode: "either",
      duplicateRate: 0.3,
      reorder: 0.3,
      dropRate: 0.25,
      delayMs: 5,
      retryScheduleMs: [20, 40],
    },
    reconcilerEnv: {
      RECONCILE_AFTER_SECONDS: "0",
      RECONCILE_FAIL_AFTER_SECONDS: "2",
    },
  });
  for (let i = 0; i < CHATS; i++) {
    const chatId = stack.sandbox!.seedChat({
      handles: ["+15550000001", "+15550000002", "+15550000003", "+15550000004", "+15551230000"],
    }).id;
    const name = i % 5 === 0 ? `fail:chat ${i}` : `Chat ${i}`;
    const icon = i % 7 === 0 ? `https://example.com/fail/${i}.png` : `https://example.com/${i}.png`;
    requests.push({ chatId, kind: "chat.update", body: { display_name: name, group_chat_icon: icon }, key: `u-${i}` });
    const handle = i % 4 === 0 ? "+15551230000" : "+15550000004";
    requests.push({ chatId, kind: "participant.remove", body: { handle }, key: `r-${i}` });
  }
});

afterAll(async () => {
  await stack.stop();
});

/** A well-behaved caller: retries a 5xx with the same Idempotency-Key, a few times. */
async function call(request: Request): Promise<number> {
  const path =
    request.kind === "chat.update" ? `/v3/chats/${request.chatId}` : `/v3/chats/${request.chatId}/participants`;
  let status = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(`${stack.url}${path}`, {
      method: request.kind === "chat.update" ? "PUT" : "DELETE",
      headers: {
        authorization: `Bearer ${stack.apiToken}`,
        "content-type": "application/json",
        "idempotency-key": request.key,
      },
      body: JSON.stringify(request.body),
    });
    status = response.status;
    await response.arrayBuffer();
    if (status < 500) break;
  }
  return status;
}

async function operationsOf(chatId: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${stack.url}/v3/chats/${chatId}/operations?limit=100`, {
    headers: { authorization: `Bearer ${stack.apiToken}` },
  });
  return ((await response.json()) as { data: Record<string, unknown>[] }).data;
}

async function allOperations(): Promise<Record<string, unknown>[]> {
  const chats = [...new Set(requests.map((r) => r.chatId))];
  return (await Promise.all(chats.map(operationsOf))).flat();
}

describe(`a chaos run (seed ${SEED})`, () => {
  it("settles every request as one operation matching the chat's real state, with one outcome event each", async () => {
    await Promise.all(requests.map(call));
    await stack.sandbox!.idle();

    // The reconciler runs until nothing is pending: Linq's reads fail too, so it may need several passes.
    const settled = await eventually(async () => {
      await stack.reconcileNow();
      const records = await allOperations();
      return records.some((record) => record.status === "pending") ? undefined : records;
    }, 20_000);
    await stack.bus.idle();
    await stack.published();

    expect(settled).toHaveLength(requests.length);
    const chats = new Map(stack.sandbox!.truth().chats.map((chat) => [chat.id, chat]));
    for (const request of requests) {
      const records = settled.filter((r) => r.chat_id === request.chatId && r.kind === request.kind);
      expect(records, `${request.key}: one operation`).toHaveLength(1);
      const chat = chats.get(request.chatId)!;
      const happened =
        request.kind === "chat.update"
          ? chat.display_name === request.body.display_name && chat.group_chat_icon === request.body.group_chat_icon
          : chat.handles.some((h) => h.handle === request.body.handle && h.status === "removed");
      expect(records[0]!.status, `${request.key}: final state`).toBe(happened ? "succeeded" : "failed");
    }

    const outcomes = stack.bus.events().filter((event) => event.source === "linq-chat-ops");
    const perTrace = new Map<string, number>();
    for (const event of outcomes) {
      const traceId = (event.detail as { trace_id: string }).trace_id;
      perTrace.set(traceId, (perTrace.get(traceId) ?? 0) + 1);
    }
    for (const record of settled) expect(perTrace.get(record.trace_id as string), String(record.trace_id)).toBe(1);
    expect(outcomes).toHaveLength(settled.length);

    // The chaos really happened: the run is only worth something if every fault fired.
    const truth = stack.sandbox!.truth();
    expect(truth.calls.filter((c) => c.status >= 500).length).toBeGreaterThan(0);
    expect(truth.events.filter((e) => e.dropped).length).toBeGreaterThan(0);
    expect(truth.events.filter((e) => e.duplicated).length).toBeGreaterThan(0);
  });
});
