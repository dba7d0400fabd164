/**
 * The contract's HTTP API, driven by the official Linq client pointed at this service: what an existing Linq user
 * gets by changing the base URL.
 */
import LinqAPIV3, {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  type APIError,
} from "@linqapp/sdk";
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

  it("with the official client at its default settings (it retries 409), a DM update is one failed operation", async () => {
    const client = new LinqAPIV3({ apiKey: stack.apiToken, baseURL: stack.url });
    const dm = stack.sandbox!.seedChat({ handles: ["+15550000005", "+15550000006"] }).id;
    const refused = await linqCode(client.chats.update(dm, { display_name: "x" }));
    expect(refused.error).toBeInstanceOf(ConflictError);
    expect(refused.error.headers?.get("x-should-retry")).toBe("false");
    expect(stack.sandbox!.truth().calls.filter((call) => call.path === `/v3/chats/${dm}`)).toHaveLength(1);
    const list = await fetch(`${stack.url}/v3/chats/${dm}/operations`, {
      headers: { authorization: `Bearer ${stack.apiToken}` },
    });
    const { data } = (await list.json()) as { data: { trace_id: string; status: string; error: unknown }[] };
    expect(data).toMatchObject([{ status: "failed", error: { code: 1006, status: 409 } }]);
    await stack.published();
    const outcomes = stack.bus
      .events()
      .filter((e) => (e.detail as { trace_id?: string }).trace_id === data[0]!.trace_id);
    expect(outcomes.map((e) => e["detail-type"])).toEqual(["operation.failed"]);
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

describe("Idempotency-Key on the two operations", () => {
  const put = (key: string, body: unknown) =>
    fetch(`${stack.url}/v3/chats/${groupId}`, {
      method: "PUT",
      headers: {
        authorization: `Bearer ${stack.apiToken}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body: JSON.stringify(body),
    });

  it("returns the first answer to a retry with the same body, and Linq is called once", async () => {
    const before = stack.sandbox!.truth().calls.length;
    const first = await put("retry-after-lost-response", { display_name: "Once" });
    const again = await put("retry-after-lost-response", { display_name: "Once" });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(stack.sandbox!.truth().calls.length).toBe(before + 1);
  });

  it("refuses the same key with another body with 409", async () => {
    await put("reused-key", { display_name: "First" });
    const other = await put("reused-key", { display_name: "Second" });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ error: { status: 409 }, success: false });
  });
});

describe("reading operations", () => {
  const get = (path: string) =>
    fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.apiToken}` } });

  it("finds one by trace id alone, and answers 404 in Linq's envelope for an unknown one", async () => {
    const answer = (await linqClientFor(stack).chats.update(groupId, { display_name: "By trace" })) as {
      trace_id: string;
    };
    const found = await get(`/v3/operations/${answer.trace_id}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ chat_id: groupId, trace_id: answer.trace_id, kind: "chat.update" });
    const missing = await get(`/v3/operations/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { status: 404, code: 2001, message: "Operation not found" },
      success: false,
    });
  });

  it("lists a chat's operations newest first with cursor pagination, and refuses a bad cursor or limit", async () => {
    const chatId = stack.sandbox!.seedChat({ handles: ["+15550000001", "+15550000002", "+15550000003"] }).id;
    const client = linqClientFor(stack);
    const traces: string[] = [];
    for (const name of ["one", "two", "three"]) {
      traces.push(((await client.chats.update(chatId, { display_name: name })) as { trace_id: string }).trace_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await get(`/v3/chats/${chatId}/operations?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      const page = (await response.json()) as { data: { trace_id: string }[]; next_cursor: string | null };
      seen.push(...page.data.map((record) => record.trace_id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(traces.reverse());

    const forged = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString("base64url");
    for (const cursor of [
      "not-ours",
      forged([chatId, "", ""]),
      forged([chatId, "x".repeat(2000), "y"]),
      "x".repeat(9000),
    ]) {
      const refused = await get(`/v3/chats/${chatId}/operations?cursor=${cursor}`);
      expect(refused.status, cursor.slice(0, 40)).toBe(400);
      expect(await refused.json()).toEqual({
        error: { status: 400, code: 1005, message: "cursor is not valid for this list" },
        success: false,
      });
    }
    // API Gateway's own answer to a path it cannot decode, before any function runs.
    expect(await (await get(`/v3/chats/%E0%A4%A/operations`)).json()).toEqual({ message: "Bad Request" });
    expect((await get(`/v3/chats/${chatId}/operations?limit=101`)).status).toBe(400);
    expect((await get(`/v3/chats/${chatId}/operations?limit=0`)).status).toBe(400);
  });
});

describe("bad requests", () => {
  const send = (body: string, contentType = "application/json") =>
    fetch(`${stack.url}/v3/chats/${groupId}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": contentType },
      body,
    });

  it("get a 4xx in Linq's envelope and never reach Linq", async () => {
    const before = stack.sandbox!.truth().calls.length;
    const cases: [string, string, number, number][] = [
      ["{broken", "application/json", 400, 1003],
      ['{"display_name": "x", "color": "red"}', "application/json", 400, 1003],
      ["[1,2]", "application/json", 400, 1003],
      ['{"display_name": "x"}', "text/plain", 415, 1003],
      [JSON.stringify({ display_name: "x".repeat(20_000) }), "application/json", 413, 1003],
    ];
    for (const [body, contentType, status, code] of cases) {
      const response = await send(body, contentType);
      expect(response.status, body.slice(0, 30)).toBe(status);
      expect(await response.json()).toMatchObject({ error: { status, code }, success: false });
    }
    expect(stack.sandbox!.truth().calls.length).toBe(before);
  });
});
