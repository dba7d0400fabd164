import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  errorEnvelope,
  internalError,
  invalidBody,
  invalidValue,
  LinqError,
  notFound,
  rateLimited,
  unauthorized,
} from "./errors.ts";
import { bearerToken, readBody } from "../http.ts";
import type { ResolvedOptions } from "./config.ts";
import type { Faults } from "./faults.ts";
import type { Ids } from "./ids.ts";
import type { ChatOperations } from "./operations.ts";
import type { Subscriptions } from "./subscriptions.ts";
import type { CallRecord, EventRecord, OperationRecord, TruthLog } from "./truth.ts";
import { type JsonObject, jsonObject, optionalString, requiredString } from "./validate.ts";

/** HTTP for the sandbox: bearer auth, injected call faults, routing, Linq's envelope on every error. */

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  /** The change this call started, so a 500 injected afterwards can be recorded against it. */
  readonly operation?: OperationRecord;
}

/** Every sandbox path has at most one parameter, `{id}`: a chat's or a webhook subscription's. */
type Handle = (id: string, body: string, traceId: string) => Reply;

interface Route {
  readonly method: string;
  readonly path: RegExp;
  readonly handle: Handle;
}

const route = (method: string, path: string, handle: Handle): Route => ({
  method,
  path: new RegExp(`^${path.replace("{id}", "([^/]+)")}$`),
  handle,
});

export interface ApiDeps {
  readonly config: Pick<ResolvedOptions, "apiKey" | "retryAfterSeconds" | "log">;
  readonly faults: Faults;
  readonly ids: Ids;
  readonly truth: TruthLog;
  readonly clock: () => Date;
  readonly chats: ChatOperations;
  readonly subscriptions: Subscriptions;
}

const MAX_BODY_BYTES = 1024 * 1024;

export function createApiServer(deps: ApiDeps): Server {
  const { chats, subscriptions } = deps;
  const routes: Route[] = [
    route("POST", "/v3/chats", (_, body) => chats.create(body)),
    route("GET", "/v3/chats/{id}", (chatId) => chats.retrieve(chatId)),
    route("PUT", "/v3/chats/{id}", (chatId, body, traceId) => chats.update(chatId, body, traceId)),
    route("POST", "/v3/chats/{id}/participants", (chatId, body, traceId) =>
      chats.addParticipant(chatId, body, traceId),
    ),
    route("DELETE", "/v3/chats/{id}/participants", (chatId, body, traceId) =>
      chats.removeParticipant(chatId, body, traceId),
    ),
    route("POST", "/v3/webhook-subscriptions", (_, body) => ({
      status: 201,
      body: subscriptions.create(jsonObject(body)),
    })),
    route("GET", "/v3/webhook-subscriptions", () => ({ status: 200, body: { subscriptions: subscriptions.list() } })),
    route("GET", "/v3/webhook-subscriptions/{id}", (id) => ({ status: 200, body: subscriptions.get(id) })),
    route("PUT", "/v3/webhook-subscriptions/{id}", (id, body) => ({
      status: 200,
      body: subscriptions.update(id, jsonObject(body)),
    })),
    route("DELETE", "/v3/webhook-subscriptions/{id}", (id) => {
      subscriptions.delete(id);
      return { status: 204 };
    }),
  ];

  /**
   * Not Linq's: people on their phones, for a sandbox run out of process. Under their own prefix, never recorded as
   * calls and never faulted, so they cannot be mistaken for the API.
   */
  const human = (change: string, apply: (chatId: string, body: JsonObject, by: string | undefined) => EventRecord) =>
    route("POST", `/_sandbox/chats/{id}/${change}`, (chatId, raw) => {
      const body = jsonObject(raw);
      return { status: 200, body: apply(chatId, body, optionalString(body, "by")) };
    });
  const controls: Route[] = [
    human("human-rename", (chatId, body, by) => chats.humanRename(chatId, requiredString(body, "display_name"), by)),
    human("human-set-icon", (chatId, body, by) =>
      chats.humanSetIcon(chatId, optionalString(body, "group_chat_icon"), by),
    ),
    human("human-add", (chatId, body, by) => chats.humanAdd(chatId, requiredString(body, "handle"), by)),
    human("human-remove", (chatId, body, by) => chats.humanRemove(chatId, requiredString(body, "handle"), by)),
  ];

  const find = (table: Route[], method: string, path: string): Route => {
    const found = table.find((candidate) => candidate.method === method && candidate.path.test(path));
    if (found === undefined) throw notFound();
    return found;
  };

  /** Decodes the path's id only now: a malformed one is still a call to a real route, and has drawn its fault. */
  const run = (found: Route, path: string, body: string, traceId: string): Reply => {
    let id: string;
    try {
      id = decodeURIComponent(found.path.exec(path)![1] ?? "");
    } catch {
      throw invalidValue("malformed path parameter");
    }
    return found.handle(id, body, traceId);
  };

  function authorize(header: string | undefined): void {
    const key = bearerToken(header);
    if (key === undefined || (deps.config.apiKey !== undefined && key !== deps.config.apiKey)) throw unauthorized();
  }

  /** Faults are drawn only for authorized calls to real routes, once each, before any work. */
  function answer(request: IncomingMessage, path: string, body: string, call: CallRecord): Reply {
    authorize(request.headers.authorization);
    const found = find(routes, call.method, path);
    const fault = deps.faults.forCall();
    if (fault !== undefined) call.fault = fault;
    if (fault === "rate_limited") throw rateLimited(deps.config.retryAfterSeconds);
    if (fault === "failed_before") throw internalError();
    const reply = run(found, path, body, call.traceId);
    if (reply.operation !== undefined) call.operationSeq = reply.operation.seq;
    if (fault === "failed_after") {
      if (reply.operation !== undefined) reply.operation.answer = 500;
      throw internalError();
    }
    return reply;
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://sandbox").pathname.replace(/\/+$/, "");
    const method = request.method ?? "GET";
    const isControl = path.startsWith("/_sandbox/");
    const at = deps.clock().toISOString();
    const call = isControl ? undefined : deps.truth.call({ method, path, traceId: deps.ids.traceId(), status: 0, at });
    let reply: Reply;
    try {
      // A control checks the key before reading the body; Linq's routes read the body first.
      if (isControl) authorize(request.headers.authorization);
      const raw = await readBody(request, MAX_BODY_BYTES);
      if (raw === undefined) throw invalidBody();
      const body = raw.toString("utf8");
      reply =
        call === undefined ? run(find(controls, method, path), path, body, "") : answer(request, path, body, call);
    } catch (error) {
      if (!(error instanceof LinqError)) deps.config.log(`sandbox bug on ${method} ${path}: ${String(error)}`);
      const linqError = error instanceof LinqError ? error : internalError();
      if (call !== undefined) call.code = linqError.code;
      reply = { status: linqError.status, body: errorEnvelope(linqError, call?.traceId) };
      if (linqError.retryAfterSeconds !== undefined)
        response.setHeader("retry-after", String(linqError.retryAfterSeconds));
    }
    if (call !== undefined) {
      call.status = reply.status;
      // Linq puts the call's trace id on every response, success or error; bodies that carry one carry the same.
      response.setHeader("x-trace-id", call.traceId);
    }
    deps.config.log(
      `${method} ${path} → ${reply.status}${call?.code ? ` ${call.code}` : ""}${call?.fault ? ` (${call.fault})` : ""}`,
    );
    if (reply.body === undefined) {
      response.writeHead(reply.status).end();
      return;
    }
    response.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
  }

  return createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      deps.config.log(`sandbox could not answer ${request.method} ${request.url}: ${String(error)}`);
      response.destroy();
    });
  });
}
