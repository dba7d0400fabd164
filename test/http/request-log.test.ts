/**
 * The request log alone (with the error funnel it sits outside of), through middy: one line per request, whatever
 * happened, at the level that says whether to look.
 */
import middy from "@middy/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LinqCode, LinqUnavailable, ServiceError, unauthorized } from "../../src/domain/errors.ts";
import {
  errorFunnel,
  logFields,
  requestLog,
  toResult,
  type HttpEvent,
  type HttpResult,
} from "../../src/http/middleware.ts";
import { log } from "../../src/log.ts";
import { context, httpEvent } from "./events.ts";

const ROUTE = "PUT /v3/chats/{chatId}";

function logged(handler: (event: HttpEvent) => Promise<HttpResult>) {
  return middy<HttpEvent, HttpResult>().use(requestLog()).use(errorFunnel()).handler(handler);
}

type Line = [level: string, message: string, fields: Record<string, unknown> | undefined];

/** Every line written, whatever its level. */
function lines(): Line[] {
  return [
    ...vi.mocked(log.info).mock.calls.map(([message, fields]): Line => ["info", message, fields]),
    ...vi.mocked(log.warn).mock.calls.map(([message, fields]): Line => ["warn", message, fields]),
    ...vi.mocked(log.error).mock.calls.map(([message, , fields]): Line => ["error", message, fields]),
  ];
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["performance"] });
  vi.spyOn(log, "info").mockImplementation(() => {});
  vi.spyOn(log, "warn").mockImplementation(() => {});
  vi.spyOn(log, "error").mockImplementation(() => {});
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("requestLog", () => {
  it("writes one info line for an answered request: route, status, duration, request id", async () => {
    const handler = logged(async () => {
      vi.advanceTimersByTime(42);
      return toResult({ status: 200, body: {} });
    });
    await handler(httpEvent(), context());
    expect(lines()).toEqual([
      ["info", "request", { route: ROUTE, status: 200, durationMs: 42, requestId: "request-1" }],
    ]);
  });

  it("carries the ids the handler noted, and no more than one line for them", async () => {
    const handler = logged(async (event) => {
      logFields(event, { deliveryId: "msg_1" });
      logFields(event, { traceId: "trace-1", result: "settled" });
      return toResult({ status: 200, body: {} });
    });
    await handler(httpEvent(), context());
    expect(lines()).toEqual([
      ["info", "request", expect.objectContaining({ deliveryId: "msg_1", traceId: "trace-1", result: "settled" })],
    ]);
  });

  it("keeps concurrent requests' fields apart", async () => {
    const handler = logged(async (event) => {
      const id = event.pathParameters!.chatId!;
      await new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
      logFields(event, { chatId: id });
      return toResult({ status: 200, body: {} });
    });
    await Promise.all(
      ["chat-a", "chat-b"].map((chatId) => handler(httpEvent({ pathParameters: { chatId } }), context())),
    );
    expect(lines().map(([, , fields]) => fields?.chatId)).toEqual(["chat-a", "chat-b"]);
  });

  it("logs a refusal answered by the funnel at info, with its status", async () => {
    const handler = logged(async () => {
      throw new ServiceError(404, LinqCode.notFound, "Operation not found");
    });
    const result = await handler(httpEvent(), context());
    expect(result).toMatchObject({ statusCode: 404 });
    expect(lines()).toEqual([["info", "request", expect.objectContaining({ route: ROUTE, status: 404 })]]);
  });

  it("logs a request noted as refused as a warning, with the reason", async () => {
    const handler = logged(async (event) => {
      logFields(event, { refused: "No matching signature found" });
      throw unauthorized();
    });
    await handler(httpEvent({ routeKey: "POST /webhooks/linq" }), context());
    expect(lines()).toEqual([
      [
        "warn",
        "request refused",
        expect.objectContaining({ route: "POST /webhooks/linq", status: 401, refused: "No matching signature found" }),
      ],
    ]);
  });

  it("logs Linq being unavailable as a warning with its cause, not as our error", async () => {
    const handler = logged(async () => {
      throw new LinqUnavailable("timeout", { cause: new Error("attempt 4 timed out after 8000 ms") });
    });
    await handler(httpEvent(), context());
    expect(lines()).toEqual([
      [
        "warn",
        "Linq unavailable",
        expect.objectContaining({ route: ROUTE, status: 504, cause: "attempt 4 timed out after 8000 ms" }),
      ],
    ]);
  });

  it("logs an unexpected failure as an error, with the error itself, once", async () => {
    const failure = new Error("the table is gone");
    const handler = logged(async () => {
      throw failure;
    });
    const result = await handler(httpEvent(), context());
    expect(result).toMatchObject({ statusCode: 500 });
    expect(lines()).toEqual([["error", "request failed", expect.objectContaining({ route: ROUTE, status: 500 })]]);
    expect(vi.mocked(log.error).mock.calls[0]![1]).toBe(failure);
  });

  it("logs a request stopped by a middleware before the handler", async () => {
    const handler = middy<HttpEvent, HttpResult>()
      .use(requestLog())
      .use(errorFunnel())
      .before(() => {
        throw unauthorized();
      })
      .handler(async () => toResult({ status: 200, body: {} }));
    await handler(httpEvent(), context());
    expect(lines()).toEqual([["info", "request", expect.objectContaining({ status: 401 })]]);
  });

  it("logs an error no funnel answered as an error without a status: Lambda answers it", async () => {
    const failure = new Error("no funnel");
    const handler = middy<HttpEvent, HttpResult>()
      .use(requestLog())
      .handler(async () => {
        throw failure;
      });
    await expect(handler(httpEvent(), context())).rejects.toBe(failure);
    expect(lines()).toEqual([["error", "request failed", expect.objectContaining({ status: undefined })]]);
  });
});
