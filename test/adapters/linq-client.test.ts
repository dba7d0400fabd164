/**
 * Our retry policy around the official Linq client, against a scripted Linq: which answers are retried, how long we
 * wait, and that everything ends inside the deadline.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LinqClient, type RetryPolicy } from "../../src/adapters/linq-client.ts";
import { LinqRefusal, LinqUnavailable } from "../../src/domain/errors.ts";
import { FakeMetrics } from "../fakes/metrics.ts";

type Scripted = { status: number; body?: unknown; raw?: string; headers?: Record<string, string>; delayMs?: number };

let server: Server;
let baseURL: string;
let script: Scripted[] = [];
let calls: { method: string; path: string; body: string }[] = [];
let metrics = new FakeMetrics();

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      calls.push({ method: request.method ?? "", path: request.url ?? "", body });
      const next = script.shift() ?? { status: 500, body: { error: { status: 500, code: 3006, message: "x" } } };
      setTimeout(() => {
        response.writeHead(next.status, { "content-type": "application/json", ...next.headers });
        // A `raw` answer is sent as it is, to play a body that does not parse.
        response.end(next.raw ?? JSON.stringify(next.body ?? {}));
      }, next.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  calls = [];
  metrics = new FakeMetrics();
});

const policy: RetryPolicy = {
  deadlineMs: 5_000,
  attemptTimeoutMs: 1_000,
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 400,
};

function client(waits: number[] = [], overrides: Partial<RetryPolicy> = {}): LinqClient {
  return new LinqClient({
    apiKey: "key",
    baseURL,
    policy: { ...policy, ...overrides },
    metrics,
    random: () => 1,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

const CHAT = "550e8400-e29b-41d4-a716-446655440000";
const TRACE = "0123456789abcdef0123456789abcdef";
const linqError = (status: number, code: number, message = "nope") => ({
  status,
  body: { error: { status, code, message }, success: false },
});

describe("what the client counts", () => {
  it("each attempt's latency and each retry, by call", async () => {
    script = [linqError(503, 3006), { status: 200, body: { chat_id: CHAT, status: "pending" } }];
    await client().updateChat(CHAT, { display_name: "Team" });
    expect(metrics.recorded.map(({ name, dimensions }) => [name, dimensions])).toEqual([
      ["LinqCallLatency", { call: "updateChat" }],
      ["LinqRetries", { call: "updateChat" }],
      ["LinqCallLatency", { call: "updateChat" }],
    ]);
    expect(metrics.recorded.every((metric) => metric.value >= 0)).toBe(true);
  });

  it("every refusal by Linq's code, a rate limit retried included", async () => {
    script = [
      { ...linqError(429, 1007), headers: { "retry-after": "0" } },
      { status: 200, body: { chat_id: CHAT, status: "pending" } },
    ];
    await client().updateChat(CHAT, { display_name: "Team" });
    expect(metrics.total("LinqRefusals", { call: "updateChat", code: "1007" })).toBe(1);
    expect(metrics.total("LinqRetries", { call: "updateChat" })).toBe(1);
  });

  it("a final refusal by Linq's code, once", async () => {
    script = [linqError(409, 1006)];
    await expect(client().updateChat(CHAT, { display_name: "Team" })).rejects.toBeInstanceOf(LinqRefusal);
    expect(metrics.total("LinqRefusals", { call: "updateChat", code: "1006" })).toBe(1);
    expect(metrics.total("LinqRetries")).toBe(0);
  });
});

describe("Linq's answers", () => {
  it("sends the update once and reads Linq's pending answer with the X-Trace-ID of the response", async () => {
    script = [{ status: 200, body: { chat_id: CHAT, status: "pending" }, headers: { "x-trace-id": TRACE } }];
    expect(await client().updateChat(CHAT, { display_name: "Team" })).toEqual({
      body: { chat_id: CHAT, status: "pending" },
      traceId: TRACE,
      tries: [{ fate: "accepted", traceId: TRACE, status: 200 }],
    });
    expect(calls).toEqual([
      { method: "PUT", path: `/v3/chats/${CHAT}`, body: JSON.stringify({ display_name: "Team" }) },
    ]);
  });

  it("sends the removal as a DELETE with a JSON body and reads Linq's trace id", async () => {
    script = [
      {
        status: 202,
        body: { message: "Participant removal queued", status: "accepted", trace_id: "abc123" },
        headers: { "x-trace-id": TRACE },
      },
    ];
    expect(await client().removeParticipant(CHAT, "+15550000004")).toEqual({
      body: { message: "Participant removal queued", status: "accepted", trace_id: "abc123" },
      traceId: TRACE,
      tries: [{ fate: "accepted", traceId: TRACE, status: 202 }],
    });
    expect(calls[0]).toMatchObject({ method: "DELETE", body: JSON.stringify({ handle: "+15550000004" }) });
  });

  it("sends the handle as written", async () => {
    script = [{ status: 202, body: { status: "accepted" } }];
    await client().removeParticipant(CHAT, "Carol@Example.COM");
    expect(calls[0]).toMatchObject({ body: JSON.stringify({ handle: "Carol@Example.COM" }) });
  });

  it("answers no trace id when the response has none usable", async () => {
    script = [{ status: 200, body: { chat_id: CHAT, status: "pending" }, headers: { "x-trace-id": "../../etc" } }];
    expect(await client().updateChat(CHAT, { display_name: "Team" })).toEqual({
      body: { chat_id: CHAT, status: "pending" },
      tries: [{ fate: "accepted", status: 200 }],
    });
  });

  it("tells every try of a call it retried: a 5xx may have been done all the same, a 429 was not", async () => {
    const trace = (n: number) => `${n}`.repeat(32);
    script = [
      { ...linqError(500, 3006), headers: { "x-trace-id": trace(1) } },
      { ...linqError(429, 1007), headers: { "x-trace-id": trace(2), "retry-after": "0" } },
      { status: 200, body: { chat_id: CHAT, status: "pending" }, headers: { "x-trace-id": trace(3) } },
    ];
    expect((await client().updateChat(CHAT, { display_name: "Team" })).tries).toEqual([
      { fate: "unknown", traceId: trace(1), status: 500 },
      { fate: "refused", traceId: trace(2), status: 429 },
      { fate: "accepted", traceId: trace(3), status: 200 },
    ]);

    script = [
      { ...linqError(502, 3006), headers: { "x-trace-id": trace(4) } },
      { ...linqError(409, 1006), headers: { "x-trace-id": trace(5) } },
    ];
    const refused = await client()
      .updateChat(CHAT, { display_name: "Team" })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LinqRefusal);
    expect((refused as LinqRefusal).tries).toEqual([
      { fate: "unknown", traceId: trace(4), status: 502 },
      { fate: "refused", traceId: trace(5), status: 409 },
    ]);
  });

  it("does not trust an unusable trace id from Linq", async () => {
    script = [{ status: 202, body: { status: "accepted", trace_id: "../../etc" } }];
    await expect(client().removeParticipant(CHAT, "+15550000004")).rejects.toBeInstanceOf(LinqUnavailable);
  });

  it("reads the chat's handles with their status and joined_at", async () => {
    script = [
      {
        status: 200,
        body: {
          id: CHAT,
          display_name: "Team",
          group_chat_icon: null,
          updated_at: "2026-03-01T12:00:00Z",
          handles: [
            { handle: "+15550000004", status: "removed", joined_at: "2026-02-01T00:00:00Z" },
            { handle: "+15550000005", status: "muted" },
          ],
        },
      },
    ];
    expect(await client().getChat(CHAT)).toEqual({
      id: CHAT,
      display_name: "Team",
      group_chat_icon: null,
      updated_at: "2026-03-01T12:00:00.000Z",
      handles: [
        { handle: "+15550000004", status: "removed", joined_at: "2026-02-01T00:00:00.000Z" },
        { handle: "+15550000005", status: null, joined_at: null },
      ],
    });
  });
});

describe("the retry policy", () => {
  it("never retries Linq's permanent refusals (1xxx, 2xxx, 409), passing status and code through", async () => {
    for (const [status, code] of [
      [400, 1002],
      [404, 2001],
      [409, 1006],
      [409, 2013],
    ] as const) {
      calls = [];
      script = [linqError(status, code)];
      const error = await client()
        .updateChat(CHAT, { display_name: "x" })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LinqRefusal);
      expect(error).toMatchObject({ status, code, message: "nope" });
      expect(calls).toHaveLength(1);
    }
  });

  it("passes a 403 (2005, access to one resource) through as Linq's refusal, with the response's trace id", async () => {
    script = [{ ...linqError(403, 2005, "Access denied"), headers: { "x-trace-id": TRACE } }];
    const error = await client()
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinqRefusal);
    expect(error).toMatchObject({ status: 403, code: 2005, message: "Access denied", traceId: TRACE });
    expect(calls).toHaveLength(1);
  });

  it.each([
    ["408", { status: 408, body: {} }],
    ["409/2009 (the chat is still being created)", linqError(409, 2009, "Chat is being created")],
    [
      "a refusal Linq says to retry (x-should-retry: true)",
      { ...linqError(409, 1006), headers: { "x-should-retry": "true" } },
    ],
  ])("retries %s, then succeeds", async (_what, first) => {
    script = [first, { status: 200, body: { chat_id: CHAT, status: "pending" } }];
    expect(await client().updateChat(CHAT, { display_name: "x" })).toMatchObject({ body: { status: "pending" } });
    expect(calls).toHaveLength(2);
  });

  it("never retries what Linq says not to (x-should-retry: false); a 5xx stays of unknown fate, not a refusal", async () => {
    script = [{ ...linqError(503, 3006, "down"), headers: { "x-should-retry": "false" } }];
    const error = await client()
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinqUnavailable);
    expect((error as LinqUnavailable).tries).toEqual([{ fate: "unknown", status: 503 }]);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ["a 2xx whose body does not parse", { status: 200, raw: "{not json" }],
    ["a 3xx", { status: 300, raw: "false" }],
  ])("answers %s as of unknown fate, once, never as a refusal or our own error", async (_what, answer) => {
    script = [answer, answer];
    const error = await client()
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinqUnavailable);
    expect((error as LinqUnavailable).tries.map((t) => t.fate)).toEqual(["unknown"]);
    expect(calls).toHaveLength(1);
  });

  it("reads only an integer as Linq's error code", async () => {
    script = [{ status: 400, body: { error: { status: 400, code: 1.5, message: "nope" }, success: false } }];
    await expect(client().updateChat(CHAT, { display_name: "x" })).rejects.toMatchObject({ code: 1003 });
  });

  it("keeps the trace id of Linq's last answer when it gives up", async () => {
    script = Array.from({ length: 4 }, () => ({ ...linqError(500, 3006), headers: { "x-trace-id": TRACE } }));
    await expect(client().updateChat(CHAT, { display_name: "x" })).rejects.toMatchObject({ traceId: TRACE });
  });

  it("retries 5xx with capped, jittered exponential backoff, then succeeds", async () => {
    const waits: number[] = [];
    script = [linqError(500, 3006), linqError(503, 3006), { status: 200, body: { chat_id: CHAT, status: "pending" } }];
    await client(waits).updateChat(CHAT, { display_name: "x" });
    expect(calls).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it("waits for Retry-After on a 429", async () => {
    const waits: number[] = [];
    script = [
      { ...linqError(429, 1007), headers: { "retry-after": "2" } },
      { status: 200, body: { status: "pending" } },
    ];
    await client(waits).updateChat(CHAT, { display_name: "x" });
    expect(waits).toEqual([2000]);
  });

  it("gives up after its attempts with a 502 carrying no internals", async () => {
    script = Array.from({ length: 4 }, () => linqError(500, 3006, "stack trace here"));
    const error = await client()
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinqUnavailable);
    expect(error).toMatchObject({ status: 502, code: 3006, message: "Linq is unavailable" });
    expect(calls).toHaveLength(4);
  });

  it("stops at the deadline: a Retry-After past it is not waited for", async () => {
    const waits: number[] = [];
    script = [{ ...linqError(429, 1007), headers: { "retry-after": "60" } }];
    await expect(client(waits).updateChat(CHAT, { display_name: "x" })).rejects.toBeInstanceOf(LinqUnavailable);
    expect(waits).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("times an attempt out and answers 504 when Linq is too slow", async () => {
    script = [{ status: 200, body: {}, delayMs: 500 }];
    const error = await client([], { attemptTimeoutMs: 100, maxAttempts: 1 })
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 504, code: 3006 });
  });

  it("treats a removal refused after an attempt of unknown fate as unknown, not failed", async () => {
    script = [linqError(500, 3006), linqError(404, 2001, "Participant not found")];
    await expect(client().removeParticipant(CHAT, "+15550000004")).rejects.toBeInstanceOf(LinqUnavailable);
  });

  it("does not retry Linq's 401: our Linq key is wrong, and the caller must not read it as their token", async () => {
    script = [linqError(401, 2004)];
    const error = await client()
      .updateChat(CHAT, { display_name: "x" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 3006 });
    expect(calls).toHaveLength(1);
  });
});
