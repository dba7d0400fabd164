/** The error funnel alone, through middy: whatever a handler or middleware throws, the caller gets Linq's envelope. */
import middy from "@middy/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LinqCode, LinqRefusal, LinqUnavailable, ServiceError, unauthorized } from "../../src/domain/errors.ts";
import { errorFunnel, type HttpEvent, type HttpResult } from "../../src/http/middleware.ts";
import { log } from "../../src/log.ts";
import { context, httpEvent } from "./events.ts";

function throwing(error: unknown) {
  return middy<HttpEvent, HttpResult>()
    .use(errorFunnel())
    .handler(async () => {
      throw error;
    });
}

/** What middy's HTTP middlewares throw: an error carrying the HTTP status they mean. */
function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

function envelope(status: number, code: number, message: string) {
  return JSON.stringify({ error: { status, code, message }, success: false });
}

beforeEach(() => {
  vi.spyOn(log, "warn").mockImplementation(() => {});
  vi.spyOn(log, "error").mockImplementation(() => {});
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("errorFunnel", () => {
  it("leaves a handler's answer as it is", async () => {
    const answer: HttpResult = { statusCode: 202, headers: { "content-type": "application/json" }, body: "{}" };
    const handler = middy<HttpEvent, HttpResult>()
      .use(errorFunnel())
      .handler(async () => answer);
    expect(await handler(httpEvent(), context())).toBe(answer);
  });

  it("answers our own error with its status, code and message in Linq's envelope", async () => {
    const result = await throwing(new ServiceError(404, LinqCode.notFound, "Operation not found"))(
      httpEvent(),
      context(),
    );
    expect(result).toEqual({
      statusCode: 404,
      headers: { "content-type": "application/json", "x-should-retry": "false" },
      body: envelope(404, 2001, "Operation not found"),
    });
  });

  it("answers 401 with Linq's unauthorised message", async () => {
    const result = await throwing(unauthorized())(httpEvent(), context());
    expect(result).toMatchObject({
      statusCode: 401,
      body: envelope(401, 2004, "Unauthorized - missing or invalid authentication token"),
    });
  });

  it("turns retryAfter into a Retry-After header", async () => {
    const error = new ServiceError(429, LinqCode.rateLimited, "Too many requests", { retryAfter: 7 });
    expect(await throwing(error)(httpEvent(), context())).toEqual({
      statusCode: 429,
      headers: { "content-type": "application/json", "x-should-retry": "true", "retry-after": "7" },
      body: envelope(429, 1007, "Too many requests"),
    });
  });

  it("passes Linq's refusal through with Linq's status and code", async () => {
    const result = await throwing(new LinqRefusal(400, LinqCode.directMessageChat, "Cannot rename a DM"))(
      httpEvent(),
      context(),
    );
    expect(result).toMatchObject({ statusCode: 400, body: envelope(400, 1006, "Cannot rename a DM") });
  });

  it.each([
    ["unavailable", 502, "Linq is unavailable"],
    ["timeout", 504, "Linq did not answer in time"],
  ] as const)("answers Linq being %s with %i and code 3006", async (kind, status, message) => {
    const result = await throwing(new LinqUnavailable(kind, { retryAfter: 2 }))(httpEvent(), context());
    expect(result).toEqual({
      statusCode: status,
      headers: { "content-type": "application/json", "x-should-retry": "true", "retry-after": "2" },
      body: envelope(status, 3006, message),
    });
  });

  describe("errors from middy's HTTP middlewares", () => {
    it("415 becomes Linq's 1003 with our message", async () => {
      const result = await throwing(httpError(415, "Unsupported Media Type"))(httpEvent(), context());
      expect(result).toMatchObject({
        statusCode: 415,
        body: envelope(415, 1003, "Content-Type must be application/json"),
      });
    });

    it.each([422, 400])("%i becomes 400 with Linq's 1003", async (status) => {
      const result = await throwing(httpError(status, "Invalid or malformed JSON was provided"))(
        httpEvent(),
        context(),
      );
      expect(result).toMatchObject({ statusCode: 400, body: envelope(400, 1003, "Request body is not valid JSON") });
    });

    it("any other status is a 500: no middleware of ours should throw one", async () => {
      const result = await throwing(httpError(404, "Not Found"))(httpEvent(), context());
      expect(result).toMatchObject({ statusCode: 500, body: envelope(500, 3006, "Internal server error") });
    });
  });

  it.each([
    ["an Error", new TypeError("Cannot read properties of undefined (reading 'secret')")],
    ["a thrown string", "boom"],
    ["null", null],
  ])("answers %s with a 500 that says nothing of it", async (_name, error) => {
    const result = await throwing(error)(httpEvent(), context());
    expect(result).toEqual({
      statusCode: 500,
      headers: { "content-type": "application/json", "x-should-retry": "true" },
      body: envelope(500, 3006, "Internal server error"),
    });
  });

  it("only answers: the request's log line is requestLog's to write", async () => {
    await throwing(new Error("boom"))(httpEvent(), context());
    await throwing(new LinqUnavailable("unavailable"))(httpEvent(), context());
    expect(log.warn).not.toHaveBeenCalled();
    expect(log.error).not.toHaveBeenCalled();
  });

  it("answers errors thrown by a middleware before the handler", async () => {
    const handler = vi.fn();
    const funnelled = middy<HttpEvent, HttpResult>()
      .use(errorFunnel())
      .before(() => {
        throw unauthorized();
      })
      .handler(handler);
    expect(await funnelled(httpEvent(), context())).toMatchObject({ statusCode: 401 });
    expect(handler).not.toHaveBeenCalled();
  });
});
