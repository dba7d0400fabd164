/**
 * The HTTP side of the fuzz tests: API Gateway (payload 2.0) events built from generated parts, bodies in every
 * encoding a caller could send (valid or not), and the one check every answer must pass: below 500, JSON, and either a
 * success body or exactly Linq's error envelope.
 */
import fc from "fast-check";
import { afterEach, beforeEach, expect, vi } from "vitest";
import { MAX_BODY_BYTES } from "../../src/http/http-function.ts";
import type { HttpEvent, HttpResult } from "../../src/http/middleware.ts";
import { log } from "../../src/log.ts";
import { httpEvent } from "../http/events.ts";
import { invalid, valid, type Judged } from "./arbitraries.ts";

export { context } from "../http/events.ts";

export interface RequestParts {
  routeKey: string;
  /** An undefined header is not sent. */
  headers: Record<string, string | undefined>;
  /** An undefined parameter is missing from `pathParameters`. */
  pathParameters?: Record<string, string | undefined>;
  query?: Record<string, string | undefined> | undefined;
  body?: string | undefined;
  base64?: boolean;
}

function defined(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The event API Gateway hands the function for these parts. */
export function apiEvent(parts: RequestParts): HttpEvent {
  const event = httpEvent({
    routeKey: parts.routeKey,
    headers: defined(parts.headers),
    ...(parts.pathParameters === undefined ? {} : { pathParameters: defined(parts.pathParameters) }),
  });
  // The body exactly as generated: already base64 when `base64` says so.
  if (parts.body !== undefined) event.body = parts.body;
  event.isBase64Encoded = parts.base64 ?? false;
  if (parts.query !== undefined) {
    const query = defined(parts.query);
    event.queryStringParameters = query;
    event.rawQueryString = new URLSearchParams(query).toString();
  }
  return event;
}

export interface EncodedBody {
  body?: string | undefined;
  base64: boolean;
}

/**
 * A JSON value as a request body: its text, base64-encoded, or pretty-printed (valid), or absent, empty, cut short,
 * trailed by garbage, carrying a `__proto__` or `constructor.prototype` key, or over the size limit (invalid).
 */
export function aBodyFor(json: unknown): fc.Arbitrary<Judged<EncodedBody>> {
  const text = JSON.stringify(json);
  const isObject = text.startsWith("{");
  const goods: fc.Arbitrary<EncodedBody>[] = [
    fc.constant({ body: text, base64: false }),
    fc.constant({ body: Buffer.from(text).toString("base64"), base64: true }),
    fc.constant({ body: JSON.stringify(json, null, 2), base64: false }),
  ];
  const bads: fc.Arbitrary<EncodedBody>[] = [
    fc.constant({ body: undefined, base64: false }),
    fc.constant({ body: "", base64: false }),
    fc.constantFrom("}", ",", "x", "\u0000", "{}").map((tail) => ({ body: `${text}${tail}`, base64: false })),
    fc.constant({
      body: `${text}${" ".repeat(Math.max(0, MAX_BODY_BYTES + 1 - Buffer.byteLength(text)))}`,
      base64: false,
    }),
  ];
  if (isObject) {
    const rest = text === "{}" ? "}" : `,${text.slice(1)}`;
    bads.push(
      fc
        .integer({ min: 1, max: Math.max(1, text.length - 1) })
        .map((cut) => ({ body: text.slice(0, cut), base64: false })),
      fc.constant({ body: `{"__proto__":{"polluted":true}${rest}`, base64: false }),
      fc.constant({ body: `{"constructor":{"prototype":{"polluted":true}}${rest}`, base64: false }),
    );
  }
  return fc.oneof(
    { arbitrary: valid(fc.oneof(...goods)), weight: 4 },
    { arbitrary: invalid(fc.oneof(...bads)), weight: 1 },
  );
}

/** The last error the service logged, to explain a failing case; log lines are kept off the test report. */
export const logged: { error?: unknown } = {};

export function quietLogs(): void {
  beforeEach(() => {
    delete logged.error;
    vi.spyOn(log, "info").mockImplementation(() => {});
    vi.spyOn(log, "warn").mockImplementation(() => {});
    vi.spyOn(log, "error").mockImplementation((_message, error) => {
      logged.error = error;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
}

export interface Envelope {
  error: { status: number; code: number; message: string };
  success: false;
}

/**
 * Every answer: below 500 (unless `linqFailed`: Linq's own failure may be passed on), JSON, and either a success body
 * (an object that is not an envelope) or exactly Linq's envelope, with the answer's own status in it and
 * `x-should-retry` set. Returns the parsed body.
 */
export function expectLinqAnswer(
  result: HttpResult | undefined | void,
  options: { linqFailed?: boolean } = {},
): { status: number; body: unknown } {
  expect(result, "an answer").toBeTypeOf("object");
  const answer = result as HttpResult;
  const status = answer.statusCode as number;
  const cause = logged.error instanceof Error ? logged.error.stack : String(logged.error ?? "");
  expect(status, `status ${status}, body ${answer.body}, logged ${cause}`).toBeLessThan(options.linqFailed ? 600 : 500);
  expect(status).toBeGreaterThanOrEqual(200);
  expect(answer.headers?.["content-type"]).toBe("application/json");
  expect(typeof answer.body).toBe("string");
  const body: unknown = JSON.parse(answer.body as string);
  if (status >= 400) {
    expect(body).toStrictEqual({
      error: { status, code: expect.any(Number), message: expect.any(String) },
      success: false,
    });
    const { code, message } = (body as Envelope).error;
    expect(Number.isInteger(code)).toBe(true);
    expect(message.length).toBeGreaterThan(0);
    expect(answer.headers?.["x-should-retry"]).toMatch(/^(true|false)$/);
  } else {
    expect(body).toBeTypeOf("object");
    expect(body).not.toBeNull();
    expect(Array.isArray(body)).toBe(false);
    expect(body).not.toHaveProperty("success", false);
    expect(body).not.toHaveProperty("error");
  }
  return { status, body };
}
