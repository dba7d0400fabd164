/**
 * The contract's HTTP API, driven by the official Linq client pointed at this service: what an existing Linq user
 * gets by changing the base URL.
 */
import { AuthenticationError, BadRequestError, ConflictError, NotFoundError, type APIError } from "@linqapp/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import { eventually, linqClientFor, startTestStack } from "../support/local-stack.ts";

let stack: LocalStack;
let groupId: string;
let dmId: string;
let trioId: string;

beforeAll(async () => {
  stack = await startTestStack();
  groupId = stack.sandbox!.seedChat({ handles: ["+15550000001", "+15550000002", "+15550000003", "+15550000004"] }).id;
  dmId = stack.sandbox!.seedChat({ handles: ["+15550000001", "+15550000002"] }).id;
  trioId = stack.sandbox!.seedChat({ handles: ["+15550000001", "+15550000002", "+15550000003"] }).id;
});

afterAll(async () => {
  await stack.stop();
});

async function operation(chatId: string, traceId: string) {
  const response = await fetch(`${stack.url}/v3/chats/${chatId}/operations/${traceId}`, {
    headers: { authorization: `Bearer ${stack.apiToken}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function linqCode(promise: Promise<unknown>): Promise<{ error: APIError; code: unknown }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as APIError;
  expect(error).toBeDefined();
  return { error, code: (error.error as { error?: { code?: unknown } } | undefined)?.error?.code };
}

describe("PUT /v3/chats/{chatId} through the official client", () => {
  it("answers Linq's 200 pending with our trace id, and the operation reaches succeeded", async () => {
    const client = linqClientFor(stack);
    const answer = (await client.chats.update(groupId, { display_name: "Team Discussion" })) as {
      chat_id: string;
      status: string;
      trace_id: string;
    };
    expect(answer).toMatchObject({ chat_id: groupId, status: "pending" });
    expect(answer.trace_id).toMatch(/^[0-9a-f-]{36}$/);

    const settled = await eventually(async () => {
      const { body } = await operation(groupId, answer.trace_id);
      return body.status === "succeeded" ? body : undefined;
    });
    expect(settled).toMatchObject({
      chat_id: groupId,
      trace_id: answer.trace_id,
      kind: "chat.update",
      request: { display_name: "Team Discussion" },
      results: { display_name: { status: "succeeded", settled_by: "webhook" } },
      source: "http",
    });
    expect(settled.completed_at).toBeTypeOf("string");
  });

  it("refuses bad input with Linq's codes before calling Linq", async () => {
    const client = linqClientFor(stack);
    const before = stack.sandbox!.truth().calls.length;
    expect((await linqCode(client.chats.update(groupId, {}))).code).toBe(1001);
    const notHttps = await linqCode(client.chats.update(groupId, { group_chat_icon: "http://example.com/a.png" }));
    expect(notHttps.error).toBeInstanceOf(BadRequestError);
    expect(notHttps.code).toBe(1005);
    expect((await linqCode(client.chats.update("not-a-uuid", { display_name: "x" }))).code).toBe(1005);
    expect((await linqCode(client.chats.update(groupId, { display_name: "   " }))).code).toBe(1005);
    expect(stack.sandbox!.truth().calls.length).toBe(before);
  });

  it("passes Linq's refusals through: an unknown chat, a DM", async () => {
    const client = linqClientFor(stack);
    const unknown = await linqCode(client.chats.update("00000000-0000-4000-8000-000000000000", { display_name: "x" }));
    expect(unknown.error).toBeInstanceOf(NotFoundError);
    expect(unknown.code).toBe(2001);
    const dm = await linqCode(client.chats.update(dmId, { display_name: "x" }));
    expect(dm.error).toBeInstanceOf(ConflictError);
    expect(dm.code).toBe(1006);
  });

  it("refuses a wrong or missing token with 401/2004, without touching Linq", async () => {
    const before = stack.sandbox!.truth().calls.length;
    const wrong = await linqCode(linqClientFor(stack, "not-the-token").chats.update(groupId, { display_name: "x" }));
    expect(wrong.error).toBeInstanceOf(AuthenticationError);
    expect(wrong.code).toBe(2004);
    const response = await fetch(`${stack.url}/v3/chats/${groupId}`, { method: "PUT", body: "{}" });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { status: 401, code: 2004, message: "Unauthorized - missing or invalid authentication token" },
      success: false,
    });
    expect(stack.sandbox!.truth().calls.length).toBe(before);
  });
});

describe("DELETE /v3/chats/{chatId}/participants through the official client", () => {
  it("answers Linq's 202 accepted with Linq's trace id, and the operation reaches succeeded", async () => {
    const client = linqClientFor(stack);
    const answer = await client.chats.participants.remove(groupId, { handle: "+1 (555) 000-0004" });
    expect(answer).toMatchObject({ status: "accepted", message: "Participant removal queued" });
    const traceId = answer.trace_id!;
    const settled = await eventually(async () => {
      const { body } = await operation(groupId, traceId);
      return body.status === "succeeded" ? body : undefined;
    });
    expect(settled).toMatchObject({ kind: "participant.remove", request: { handle: "+15550000004" } });
  });

  it("gives the SDK's own errors: bad handle 1002, fewer than 3 left 2013", async () => {
    const client = linqClientFor(stack);
    const bad = await linqCode(client.chats.participants.remove(groupId, { handle: "not a phone" }));
    expect(bad.error).toBeInstanceOf(BadRequestError);
    expect(bad.code).toBe(1002);
    const tooFew = await linqCode(client.chats.participants.remove(trioId, { handle: "+15550000003" }));
    expect(tooFew.error).toBeInstanceOf(ConflictError);
    expect(tooFew.code).toBe(2013);
  });
});
