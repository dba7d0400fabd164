/**
 * The HTTP middlewares, one concern each. Order matters and is fixed in http-function.ts: after the invocation's
 * Lambda context and metrics (src/app/observability.ts), the request's log line (it sees every answer), then errors,
 * then the caller's token, then the body's size, then parsing: a wrong token never costs a parse, a huge body never a
 * parse.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Contention, errorEnvelope, LinqCode, LinqUnavailable, ServiceError, unauthorized } from "../domain/errors.ts";
import type { Answer } from "../domain/ports.ts";
import { log, type LogFields } from "../log.ts";

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
type Middleware = middy.MiddlewareObj<HttpEvent, HttpResult>;

/**
 * An answer as API Gateway returns it. A refusal says whether the same request again could change it
 * (`x-should-retry`, which the official Linq client obeys): one that cannot is not retried, so a client at its default
 * settings does not record the same refused operation three times.
 */
export function toResult(answer: Answer, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: answer.status,
    headers: {
      "content-type": "application/json",
      ...(answer.status >= 400 ? { "x-should-retry": "false" } : {}),
      ...headers,
    },
    body: JSON.stringify(answer.body),
  };
}

/** Keyed by the event, the one object middy hands both the middlewares and the handler of one request. */
const lines = new WeakMap<HttpEvent, { started: number; fields: LogFields }>();

/**
 * One log line per request, written when it ends: route, status, duration, API Gateway's request id, and the ids noted
 * with `logFields`. Its level says what to look at: an unexpected failure is an error with its stack; Linq being
 * unavailable, an upstream condition to watch, a warning with its cause; a request noted as `refused` (a webhook
 * signature that did not verify: an attacker, or a secret rotated on one side only) a warning; the rest info.
 */
export function requestLog(): Middleware {
  const requestLogBefore: Middleware["before"] = (request) => {
    lines.set(request.event, { started: performance.now(), fields: {} });
  };
  const requestLogAfter: Middleware["after"] = (request) => {
    writeLine(request.event, request.response, undefined);
  };
  const requestLogOnError: Middleware["onError"] = (request) => {
    writeLine(request.event, request.response, request.error);
  };
  return { name: "requestLog", before: requestLogBefore, after: requestLogAfter, onError: requestLogOnError };
}

/** Adds ids and outcomes to this request's log line; never bodies or secrets. */
export function logFields(event: HttpEvent, fields: LogFields): void {
  const line = lines.get(event);
  if (line !== undefined) Object.assign(line.fields, fields);
}

function writeLine(event: HttpEvent, response: HttpResult | null | undefined, error: unknown): void {
  const line = lines.get(event);
  const fields: LogFields = {
    route: event.routeKey,
    status: response?.statusCode,
    durationMs: line === undefined ? undefined : Math.round(performance.now() - line.started),
    requestId: event.requestContext?.requestId,
    ...line?.fields,
  };
  if (error instanceof LinqUnavailable) log.warn("Linq unavailable", { ...fields, cause: causeOf(error) });
  // A busy chat is a condition to watch, answered as retryable; not a bug of ours.
  else if (error instanceof Contention) log.warn("chat contended", { ...fields, chatId: error.chatId });
  else if (error !== undefined && (response?.statusCode ?? 500) >= 500) log.error("request failed", error, fields);
  else if (fields.refused !== undefined) log.warn("request refused", fields);
  else log.info("request", fields);
}

function causeOf(error: Error): string | undefined {
  return error.cause instanceof Error ? error.cause.message : undefined;
}

/**
 * The one error funnel: whatever failed, the caller gets Linq's envelope. Our own answers (ServiceError) keep their
 * status and code; middy's parser errors become Linq's 1003; anything else is a 500 with no internals.
 */
export function errorFunnel(): Middleware {
  const errorFunnelOnError: Middleware["onError"] = (request) => {
    const error = toServiceError(request.error);
    const headers: Record<string, string> = {
      "x-should-retry": String(error.shouldRetry),
      ...(error.retryAfter === undefined ? {} : { "retry-after": `${error.retryAfter}` }),
    };
    request.response = toResult({ status: error.status, body: errorEnvelope(error) }, headers);
  };
  return { name: "errorFunnel", onError: errorFunnelOnError };
}

function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 415) return new ServiceError(415, LinqCode.invalidBody, "Content-Type must be application/json");
  if (status === 422 || status === 400)
    return new ServiceError(400, LinqCode.invalidBody, "Request body is not valid JSON");
  return new ServiceError(500, LinqCode.internal, "Internal server error");
}

/**
 * `Authorization: Bearer <service token>`. Both sides are hashed to equal length first so the comparison's time says
 * nothing about the token, not even its length; every configured token is checked, for rotation.
 */
export function bearerAuth(tokens: readonly string[]): Middleware {
  const bearerAuthBefore: Middleware["before"] = (request) => {
    const header = request.event.headers?.authorization ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const offered = digest(match?.[1] ?? "");
    let accepted = false;
    for (const token of tokens) accepted = timingSafeEqual(offered, digest(token)) || accepted;
    if (!match || !accepted) throw unauthorized();
  };
  return { name: "bearerAuth", before: bearerAuthBefore };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Linq's bodies here are tiny; a large one is a mistake or an attack, refused before it is decoded or parsed. */
export function bodyLimit(maxBytes: number): Middleware {
  const bodyLimitBefore: Middleware["before"] = (request) => {
    const { body, isBase64Encoded } = request.event;
    if (body === undefined) return;
    // The decoded size, counted without decoding (padding included: a body of exactly maxBytes passes).
    const bytes = Buffer.byteLength(body, isBase64Encoded ? "base64" : "utf8");
    if (bytes > maxBytes) {
      throw new ServiceError(413, LinqCode.invalidBody, `Request body must be at most ${maxBytes} bytes`);
    }
  };
  return { name: "bodyLimit", before: bodyLimitBefore };
}

/** The raw bytes of the body, decoded from base64 when API Gateway encoded it. */
export function rawBody(event: HttpEvent): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}
