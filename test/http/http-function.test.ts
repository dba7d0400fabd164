/**
 * The two builders' fixed order: the cheap checks first, so a wrong token never costs a parse, a huge body is never
 * parsed or verified, and a webhook body is read only once its signature holds.
 */
import { Webhook } from "standardwebhooks";
import { vi } from "vitest";

// Before the logger is imported: it reads its level once, and every invocation returns to it.
vi.hoisted(() => {
  process.env.LOG_LEVEL = "info";
});
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebhookVerifier, type Verification } from "../../src/adapters/webhook-verifier.ts";
import { LinqCode, ServiceError } from "../../src/domain/errors.ts";
import type { Answer } from "../../src/domain/ports.ts";
import {
  httpFunction,
  MAX_BODY_BYTES,
  MAX_WEBHOOK_BYTES,
  webhookFunction,
  type RouteAnswer,
  type Verify,
} from "../../src/http/http-function.ts";
import { log } from "../../src/log.ts";
import { captureOutput } from "../support/log-lines.ts";
import { authorised, context, httpEvent, TOKENS } from "./events.ts";

const WEBHOOK_ROUTE = "POST /webhooks/linq";
const output = captureOutput();

function envelope(status: number, code: number, message: string) {
  return JSON.stringify({ error: { status, code, message }, success: false });
}

beforeEach(() => {
  vi.spyOn(log, "info").mockImplementation(() => {});
  vi.spyOn(log, "warn").mockImplementation(() => {});
  vi.spyOn(log, "error").mockImplementation(() => {});
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("httpFunction", () => {
  function operation(
    route = vi.fn(async (): Promise<RouteAnswer> => ({ status: 202, body: { trace_id: "trace-1" } })),
  ) {
    return { route, handler: httpFunction({ tokens: TOKENS, jsonBody: true }, route) };
  }

  it("answers the route's Answer as JSON", async () => {
    const { handler } = operation();
    expect(await handler(httpEvent({ headers: authorised(), body: "{}" }), context())).toEqual({
      statusCode: 202,
      headers: { "content-type": "application/json" },
      body: '{"trace_id":"trace-1"}',
    });
  });

  it("writes the request's one log line with the answer's ids and the route's own fields", async () => {
    vi.mocked(log.info).mockRestore();
    const { handler } = operation(
      vi.fn(async () => ({
        status: 200,
        body: { chat_id: "chat-1", status: "pending", trace_id: "trace-1" },
        logFields: { kind: "chat.update" },
      })),
    );
    await handler(httpEvent({ headers: authorised(), body: "{}" }), context());
    expect(output.lines()).toEqual([
      expect.objectContaining({
        level: "INFO",
        message: "request",
        route: "PUT /v3/chats/{chatId}",
        status: 200,
        durationMs: expect.any(Number),
        requestId: "request-1",
        chat_id: "chat-1",
        trace_id: "trace-1",
        kind: "chat.update",
      }),
    ]);
  });

  it("answers with the route's body alone: its log fields are not part of the answer", async () => {
    const { handler } = operation(vi.fn(async () => ({ status: 200, body: { data: [] }, logFields: { page: 1 } })));
    const result = await handler(httpEvent({ headers: authorised(), body: "{}" }), context());
    expect(result).toMatchObject({ body: '{"data":[]}' });
  });

  it.each([
    ["a body that is not JSON", { "content-type": "application/json" }, "{nope"],
    ["a body of the wrong content type", { "content-type": "text/plain" }, "{}"],
    ["an oversized body", { "content-type": "application/json" }, "x".repeat(MAX_BODY_BYTES + 1)],
  ])("a wrong token with %s is refused for the token: nothing else is looked at", async (_name, headers, body) => {
    const { route, handler } = operation();
    const result = await handler(
      httpEvent({ headers: { ...headers, authorization: "Bearer wrong" }, body }),
      context(),
    );
    expect(result).toMatchObject({
      statusCode: 401,
      body: envelope(401, 2004, "Unauthorized - missing or invalid authentication token"),
    });
    expect(route).not.toHaveBeenCalled();
  });

  it("an oversized body is refused for its size before the parser reads it", async () => {
    const { route, handler } = operation();
    const parse = vi.spyOn(JSON, "parse");
    const body = `{${"x".repeat(MAX_BODY_BYTES)}`;
    const result = await handler(httpEvent({ headers: authorised(), body }), context());
    expect(result).toMatchObject({
      statusCode: 413,
      body: envelope(413, 1003, `Request body must be at most ${MAX_BODY_BYTES} bytes`),
    });
    expect(parse.mock.calls.filter(([text]) => text === body)).toEqual([]);
    expect(route).not.toHaveBeenCalled();
  });

  it("an oversized body of the wrong content type is refused for its size", async () => {
    const { handler } = operation();
    const headers = authorised(TOKENS[0], { "content-type": "text/plain" });
    const result = await handler(httpEvent({ headers, body: "x".repeat(MAX_BODY_BYTES + 1) }), context());
    expect(result).toMatchObject({ statusCode: 413 });
  });

  it("a route's own refusal is answered in Linq's envelope", async () => {
    const { handler } = operation(
      vi.fn(async (): Promise<Answer> => {
        throw new ServiceError(400, LinqCode.missingField, "display_name or group_chat_icon is required");
      }),
    );
    const result = await handler(httpEvent({ headers: authorised(), body: "{}" }), context());
    expect(result).toMatchObject({
      statusCode: 400,
      body: envelope(400, 1001, "display_name or group_chat_icon is required"),
    });
  });

  it("a route's unexpected failure is a 500 that says nothing of it", async () => {
    const { handler } = operation(
      vi.fn(async (): Promise<Answer> => {
        throw new Error("ConditionalCheckFailedException: table linq-chat-ops-prod-Operations");
      }),
    );
    const result = await handler(httpEvent({ headers: authorised(), body: "{}" }), context());
    expect(result).toEqual({
      statusCode: 500,
      headers: { "content-type": "application/json", "x-should-retry": "true" },
      body: envelope(500, 3006, "Internal server error"),
    });
  });
});

describe("webhookFunction", () => {
  const BODY = '{"event_type":"chat.group_name_updated","event_id":"evt_1"}';

  function webhook(verdict: Verification) {
    const verify = vi.fn<Verify>(() => verdict);
    const route = vi.fn(async (): Promise<Answer> => ({ status: 200, body: { received: true, result: "settled" } }));
    return { verify, route, handler: webhookFunction(verify, route) };
  }

  function delivery(options: { body?: string; base64?: boolean; headers?: Record<string, string> } = {}) {
    return httpEvent({
      routeKey: WEBHOOK_ROUTE,
      body: options.body ?? BODY,
      headers: { "content-type": "application/json", "webhook-id": "msg_1", ...options.headers },
      ...(options.base64 === undefined ? {} : { base64: options.base64 }),
    });
  }

  it("hands the route the verified payload and delivery id, without any bearer token", async () => {
    const payload = JSON.parse(BODY);
    const { verify, route, handler } = webhook({ ok: true, deliveryId: "msg_1", payload });
    const result = await handler(delivery(), context());
    expect(result).toEqual({
      statusCode: 200,
      headers: { "content-type": "application/json" },
      body: '{"received":true,"result":"settled"}',
    });
    // The route's input is a VerifiedDelivery; the verifier's own `ok` flag rides along and means nothing to it.
    expect(route).toHaveBeenCalledWith(
      expect.objectContaining({ deliveryId: "msg_1", payload, raw: Buffer.from(BODY) }),
    );
    expect(log.info).toHaveBeenCalledWith(
      "request",
      expect.objectContaining({ route: WEBHOOK_ROUTE, status: 200, deliveryId: "msg_1" }),
    );
    expect(verify).toHaveBeenCalledWith(Buffer.from(BODY), expect.objectContaining({ "webhook-id": "msg_1" }));
  });

  it("verifies a base64-encoded body on its decoded bytes", async () => {
    const { verify, handler } = webhook({ ok: true, deliveryId: "msg_1", payload: {} });
    await handler(delivery({ body: "Équipe 🎉", base64: true }), context());
    expect(verify.mock.calls[0]![0]).toEqual(Buffer.from("Équipe 🎉", "utf8"));
  });

  it("verifies an empty delivery on no bytes", async () => {
    const { verify, handler } = webhook({ ok: true, deliveryId: "msg_1", unreadable: true });
    await handler(httpEvent({ routeKey: WEBHOOK_ROUTE }), context());
    expect(verify.mock.calls[0]![0]).toEqual(Buffer.alloc(0));
  });

  it("refuses a delivery that does not verify with 401, and logs why", async () => {
    const { route, handler } = webhook({ ok: false, reason: "No matching signature found" });
    const result = await handler(delivery(), context());
    expect(result).toEqual({
      statusCode: 401,
      headers: { "content-type": "application/json", "x-should-retry": "false" },
      body: envelope(401, 2004, "Invalid webhook signature"),
    });
    expect(route).not.toHaveBeenCalled();
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith(
      "request refused",
      expect.objectContaining({ route: WEBHOOK_ROUTE, status: 401, refused: "No matching signature found" }),
    );
  });

  it("hands the route a signed body that is not JSON as it came, for it to keep (Linq never retries a 4xx)", async () => {
    const { route, handler } = webhook({ ok: true, deliveryId: "msg_1", unreadable: true });
    const result = await handler(delivery({ body: "{not json" }), context());
    expect(result).toMatchObject({ statusCode: 200 });
    expect(route).toHaveBeenCalledWith({ deliveryId: "msg_1", raw: Buffer.from("{not json") });
  });

  it("refuses an oversized delivery for its size without verifying it", async () => {
    const { verify, handler } = webhook({ ok: true, deliveryId: "msg_1", payload: {} });
    const result = await handler(delivery({ body: "x".repeat(MAX_WEBHOOK_BYTES + 1) }), context());
    expect(result).toMatchObject({
      statusCode: 413,
      body: envelope(413, 1003, `Request body must be at most ${MAX_WEBHOOK_BYTES} bytes`),
    });
    expect(verify).not.toHaveBeenCalled();
  });

  it("with the real verifier: a signed delivery reaches the route, the same one altered does not", async () => {
    const secret = `whsec_${Buffer.from("http-function test secret").toString("base64")}`;
    const verifier = new WebhookVerifier({ secrets: [secret], legacySecrets: [], clock: { now: () => new Date() } });
    const route = vi.fn(async (): Promise<Answer> => ({ status: 200, body: { received: true } }));
    const handler = webhookFunction((raw, headers) => verifier.verify(raw, headers), route);
    const at = new Date();
    const headers = {
      "webhook-id": "msg_real",
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign("msg_real", at, BODY),
    };

    expect(await handler(delivery({ headers, base64: true }), context())).toMatchObject({ statusCode: 200 });
    expect(route).toHaveBeenCalledWith(expect.objectContaining({ payload: JSON.parse(BODY), deliveryId: "msg_real" }));
    const altered = BODY.replace("evt_1", "evt_2");
    expect(await handler(delivery({ headers, body: altered }), context())).toMatchObject({ statusCode: 401 });
    expect(route).toHaveBeenCalledTimes(1);
  });
});
