/**
 * The bus's HTTP face: EventBridge's AWS JSON 1.1 protocol (POST with `X-Amz-Target: AWSEvents.<Operation>`), which is
 * what the v3 SDK and the AWS CLI speak, plus plain JSON views for people and tests.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AwsError } from "./put-events.ts";
import { readBody } from "../http.ts";

export interface BusRoutes {
  /**
   * By full X-Amz-Target, e.g. `AWSEvents.PutEvents`; `region` is the one the client signed for (else us-east-1), so
   * events carry the region the caller believes it is in.
   */
  operations: Record<string, (input: unknown, region: string) => unknown>;
  /** GET path → JSON body. */
  views: Record<string, () => unknown>;
}

const AWS_JSON = "application/x-amz-json-1.1";
/** Well above the 256 KB of entries EventBridge takes, so JSON escaping never trips it; only a runaway body does. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export function createBusServer(routes: BusRoutes): Server {
  return createServer((request, response) => {
    handle(routes, request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy();
      const message = error instanceof Error ? error.message : String(error);
      sendAwsError(response, error instanceof AwsError ? error : new AwsError("InternalException", message, 500));
    });
  });
}

/** An AwsError thrown here is the answer, as an AWS JSON error; any other is a 500. */
async function handle(routes: BusRoutes, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? "/", "http://bus").pathname;
  if (request.method === "GET") {
    const view = Object.hasOwn(routes.views, path) ? routes.views[path] : undefined;
    if (view) return send(response, 200, "application/json", view());
    return send(response, 404, "application/json", { message: `No route GET ${path}` });
  }
  if (request.method !== "POST") {
    return send(response, 405, "application/json", { message: `Method ${request.method} not allowed` });
  }

  const body = await readBody(request, MAX_BODY_BYTES);
  const target = request.headers["x-amz-target"];
  const operation =
    typeof target === "string" && Object.hasOwn(routes.operations, target) ? routes.operations[target] : undefined;
  if (!operation) {
    const named = String(target ?? "(no X-Amz-Target)");
    throw new AwsError("UnknownOperationException", `Operation ${named} is not supported by the local bus.`);
  }
  if (body === undefined) {
    throw new AwsError("ValidationException", "Total size of the entries in the request is over the limit.");
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw new AwsError("SerializationException", "Request body is not valid JSON.");
  }
  send(response, 200, AWS_JSON, operation(input, signedRegion(request) ?? "us-east-1"));
}

/** From the SigV4 credential scope: `Credential=<key>/<date>/<region>/events/aws4_request`. */
function signedRegion(request: IncomingMessage): string | undefined {
  return /Credential=[^/,\s]+\/\d{8}\/([^/]+)\//.exec(request.headers.authorization ?? "")?.[1];
}

function sendAwsError(response: ServerResponse, error: AwsError): void {
  response.setHeader("x-amzn-ErrorType", error.type);
  send(response, error.status, AWS_JSON, { __type: error.type, message: error.message });
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(json),
    "x-amzn-RequestId": randomUUID(),
  });
  response.end(json);
}
