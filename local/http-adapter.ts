/**
 * API Gateway's HTTP API (payload format 2.0) in front of the handlers, for `npm start` and the tests: the same route
 * table as `stacks/`, lower-cased headers, the raw body (base64 when it is not text), path parameters from the route's
 * template, and the handler's result written back as API Gateway would.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import type { FunctionDefinition, HttpRoute } from "../src/definitions/functions.ts";
import type { OpenApiDocument } from "../src/schemas/openapi.ts";
import { readBody } from "./http.ts";

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** A function with an HTTP route, as `src/definitions/functions.ts` defines it, and its handler. */
export interface MountedRoute extends Pick<FunctionDefinition, "name" | "timeout"> {
  http: HttpRoute;
  handler: HttpHandler;
}

/**
 * Where `npm start` serves the OpenAPI document, generated from the schemas and the route table on the first request
 * (loaded then, so nothing else that uses this adapter pays for the generator).
 */
export const OPENAPI_PATH = "/openapi.json";
let openApi: OpenApiDocument | undefined;

/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const TEXT_CONTENT = /^(application\/(json|.*\+json|x-www-form-urlencoded|xml)|text\/)/i;

interface CompiledRoute extends MountedRoute {
  pattern: RegExp;
}

/** `/v3/chats/{chatId}` matches `/v3/chats/` and then anything but a slash, captured as `chatId`. */
function compile(mounted: MountedRoute): CompiledRoute {
  const source = mounted.http.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, "(?<$1>[^/]+)");
  return { ...mounted, pattern: new RegExp(`^${source}$`) };
}

/**
 * The server, and `mount` to add routes once their handlers exist: it can listen first, so its URL is known before
 * the handlers that need it (as their webhook target) are configured.
 */
export function createHttpAdapter(log: (line: string) => void = () => {}): {
  server: Server;
  mount(route: MountedRoute): void;
} {
  const compiled: CompiledRoute[] = [];
  const server = createServer((request, response) => {
    serve(compiled, request, response, log).catch((error: unknown) => {
      log(`adapter error: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) writeJson(response, 500, { message: "Internal Server Error" });
      else response.end();
    });
  });
  return { server, mount: (route) => compiled.push(compile(route)) };
}

async function serve(
  routes: CompiledRoute[],
  request: IncomingMessage,
  response: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://local");
  const method = request.method ?? "GET";
  // One match per route tried: its groups are the path parameters.
  let route: CompiledRoute | undefined;
  let encoded: Record<string, string> = {};
  for (const candidate of routes) {
    const match = candidate.http.method === method ? candidate.pattern.exec(url.pathname) : null;
    if (match === null) continue;
    route = candidate;
    encoded = match.groups ?? {};
    break;
  }
  let params: Record<string, string>;
  try {
    params = Object.fromEntries(Object.entries(encoded).map(([name, value]) => [name, decodeURIComponent(value)]));
  } catch {
    // API Gateway's own answer to a path it cannot decode, before any function runs.
    return writeJson(response, 400, { message: "Bad Request" });
  }
  const body = await readBody(request, MAX_PAYLOAD_BYTES);
  if (body === undefined) return writeJson(response, 413, { message: "Request Entity Too Large" });
  // Local only (the deployed API has no such route): the OpenAPI document of the service's routes.
  if (route === undefined && method === "GET" && url.pathname === OPENAPI_PATH) {
    openApi ??= (await import("../src/schemas/openapi.ts")).currentOpenApiDocument();
    return writeJson(response, 200, openApi);
  }
  if (route === undefined) return writeJson(response, 404, { message: "Not Found" });

  const event = toEvent(request, url, route, params, body);
  const started = Date.now();
  const result = await route.handler(event, lambdaContext(route.name, route.timeout));
  const structured = typeof result === "object" && result !== null && "statusCode" in result;
  const statusCode = structured ? (result.statusCode ?? 200) : 200;
  log(`${method} ${url.pathname} -> ${statusCode} (${route.name}, ${Date.now() - started} ms)`);
  if (!structured) return writeJson(response, 200, result);
  const headers = { ...(result.headers ?? {}) } as Record<string, string | number | boolean>;
  const payload =
    result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  response.writeHead(statusCode, { ...headers, "content-length": payload.length });
  response.end(payload);
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  // Node lower-cases header names already; API Gateway joins repeated headers with commas, as does Node for most.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const isText = body.length === 0 || TEXT_CONTENT.test(headers["content-type"] ?? "");
  const now = new Date();
  const routeKey = `${route.http.method} ${route.http.path}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: body.toString(isText ? "utf8" : "base64") } : {}),
    isBase64Encoded: !isText,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "127.0.0.1",
      domainPrefix: "local",
      http: {
        method: request.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** What Lambda hands a handler beside the event; the remaining time counts down from the function's timeout. */
export function lambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function writeJson(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  response.end(json);
}
