/**
 * API Gateway HTTP API (payload 2.0) events for the HTTP layer's tests, shaped as the local adapter and API Gateway
 * give them: lower-cased headers, the body as text or base64.
 */
import type { Context } from "aws-lambda";
import { lambdaContext } from "../../local/http-adapter.ts";
import type { HttpEvent } from "../../src/http/middleware.ts";

export const TOKENS = ["token-current", "token-rotated-in"] as const;

/** A request to `routeKey`; `body` as text unless `base64` is set. */
export function httpEvent(
  options: {
    routeKey?: string;
    headers?: Record<string, string>;
    body?: string;
    base64?: boolean;
    pathParameters?: Record<string, string>;
  } = {},
): HttpEvent {
  const routeKey = options.routeKey ?? "PUT /v3/chats/{chatId}";
  const [method = "PUT", path = "/"] = routeKey.split(" ");
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: options.headers ?? {},
    ...(options.pathParameters === undefined ? {} : { pathParameters: options.pathParameters }),
    ...(options.body === undefined
      ? {}
      : { body: options.base64 ? Buffer.from(options.body).toString("base64") : options.body }),
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: "000000000000",
      apiId: "test",
      domainName: "test.local",
      domainPrefix: "test",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId: "request-1",
      routeKey,
      stage: "$default",
      time: "01/Mar/2026:12:00:00 +0000",
      timeEpoch: Date.parse("2026-03-01T12:00:00.000Z"),
    },
  };
}

/** Headers of an authorised JSON request. */
export function authorised(token: string = TOKENS[0], extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/json", ...extra };
}

export function context(): Context {
  return lambdaContext("http-test", 30);
}
