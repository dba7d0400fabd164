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
import { jsonObject, optionalString, requiredString } from "./validate.ts";

/** HTTP for the sandbox: bearer auth, injected call faults, routing, Linq's envelope on every error. */

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  /** The change this call started, so a 500 injected afterwards can be recorded against it. */
  readonly operation?: OperationRecord;
}

interface Request {
  readonly params: readonly string[];
  readonly body: string;
  readonly traceId: string;
}

interface Route {
  readonly method: string;
  readonly path: RegExp;
  readonly handle: (request: Request) => Reply;
}

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
  const param = (request: Request, index: number): string => {
    try {
      return decodeURIComponent(request.params[index] ?? "");
    } catch {
      throw invalidValue("malformed path parameter");
    }
  };
  const routes: Route[] = [
    { method: "POST", path: /^\/v3\/chats$/, handle: (r) => chats.create(r.body) },
    { method: "GET", path: /^\/v3\/chats\/([^/]+)$/, handle: (r) => chats.retrieve(param(r, 0)) },
    { method: "PUT", path: /^\/v3\/chats\/([^/]+)$/, handle: (r) => chats.update(param(r, 0), r.body, r.traceId) },
    {
      method: "POST",
      path: /^\/v3\/chats\/([^/]+)\/participants$/,
      handle: (r) => chats.addParticipant(param(r, 0), r.body, r.traceId),
    },
    {
      method: "DELETE",
      path: /^\/v3\/chats\/([^/]+)\/participants$/,
      handle: (r) => chats.removeParticipant(param(r, 0), r.body, r.traceId),
    },
    {
      method: "POST",
      path: /^\/v3\/webhook-subscriptions$/,
      handle: (r) => ({ status: 201, body: subscriptions.create(jsonObject(r.body)) }),
    },
    {
      method: "GET",
      path: /^\/v3\/webhook-subscriptions$/,
      handle: () => ({ status: 200, body: { subscriptions: subscriptions.list() } }),
    },
    {
      method: "GET",
      path: /^\/v3\/webhook-subscriptions\/([^/]+)$/,
      handle: (r) => ({ status: 200, body: subscriptions.get(param(r, 0)) }),
    },
    {
      method: "PUT",
      path: /^\/v3\/webhook-subscriptions\/([^/]+)$/,
      handle: (r) => ({ status: 200, body: subscriptions.update(param(r, 0), jsonObject(r.body)) }),
    },
    {
      method: "DELETE",
      path: /^\/v3\/webhook-subscriptions\/([^/]+)$/,
      handle: (r) => {
        subscriptions.delete(param(r, 0));
        return { status: 204 };
      },
    },
  ];

  /**
   * Not Linq's: people on their phones, for a sandbox run out of process. Under their own prefix, never recorded as
   * calls and never faulted, so they cannot be mistaken for the API.
   */
  const humanBody = (r: Request) => {
    const body = jsonObject(r.body);
    return { body, by: optionalString(body, "by") };
  };
  const human = (path: string, change: (chatId: string, r: Request) => EventRecord): Route => ({
    method: "POST",
    path: new RegExp(`^/_sandbox/chats/([^/]+)/${path}$`),
    handle: (r) => ({ status: 200, body: change(param(r, 0), r) }),
  });
  const controls: Route[] = [
    human("human-rename", (chatId, r) => {
      const { body, by } = humanBody(r);
      return chats.humanRename(chatId, requiredString(body, "display_name"), by);
    }),
    human("human-set-icon", (chatId, r) => {
      const { body, by } = humanBody(r);
      return chats.humanSetIcon(chatId, optionalString(body, "group_chat_icon"), by);
    }),
    human("human-add", (chatId, r) => {
      const { body, by } = humanBody(r);
      return chats.humanAdd(chatId, requiredString(body, "handle"), by);
    }),
    human("human-remove", (chatId, r) => {
      const { body, by } = humanBody(r);
      return chats.humanRemove(chatId, requiredString(body, "handle"), by);
    }),
  ];

  function authorize(header: string | undefined): void {
    const key = bearerToken(header);
    if (key === undefined || (deps.config.apiKey !== undefined && key !== deps.config.apiKey)) throw unauthorized();
  }

  /** Faults are drawn only for authorized calls to real routes, once each, before any work. */
  function answer(request: IncomingMessage, path: string, body: string, call: CallRecord): Reply {
    authorize(request.headers.authorization);
    for (const route of routes) {
      const match = route.path.exec(path);
      if (match === null || route.method !== request.method) continue;
      const fault = deps.faults.forCall();
      if (fault !== undefined) call.fault = fault;
      if (fault === "rate_limited") throw rateLimited(deps.config.retryAfterSeconds);
      if (fault === "failed_before") throw internalError();
      const reply = route.handle({ params: match.slice(1), body, traceId: call.traceId });
      if (reply.operation !== undefined) call.operationSeq = reply.operation.seq;
      if (fault === "failed_after") {
        if (reply.operation !== undefined) reply.operation.answer = 500;
        throw internalError();
      }
      return reply;
    }
    throw notFound();
  }

  async function serveControl(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    let reply: Reply;
    try {
      authorize(request.headers.authorization);
      const body = await readBody(request, MAX_BODY_BYTES);
      if (body === undefined) throw invalidBody();
      const route = controls.find((candidate) => candidate.method === request.method && candidate.path.test(path));
      if (route === undefined) throw notFound();
      const params = route.path.exec(path)!.slice(1);
      reply = route.handle({ params, body: body.toString("utf8"), traceId: "" });
    } catch (error) {
      if (!(error instanceof LinqError)) deps.config.log(`sandbox bug on ${request.method} ${path}: ${String(error)}`);
      const linqError = error instanceof LinqError ? error : internalError();
      reply = { status: linqError.status, body: errorEnvelope(linqError, undefined) };
    }
    deps.config.log(`${request.method} ${path} → ${reply.status}`);
    response.writeHead(reply.status, { "content-type": "application/json" }).end(JSON.stringify(reply.body));
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://sandbox").pathname.replace(/\/+$/, "");
    if (path.startsWith("/_sandbox/")) return serveControl(request, response, path);
    const call = deps.truth.call({
      method: request.method ?? "GET",
      path,
      traceId: deps.ids.traceId(),
      status: 0,
      at: deps.clock().toISOString(),
    });
    let reply: Reply;
    try {
      const body = await readBody(request, MAX_BODY_BYTES);
      if (body === undefined) throw invalidBody();
      reply = answer(request, path, body.toString("utf8"), call);
    } catch (error) {
      if (!(error instanceof LinqError)) deps.config.log(`sandbox bug on ${call.method} ${path}: ${String(error)}`);
      const linqError = error instanceof LinqError ? error : internalError();
      call.code = linqError.code;
      reply = { status: linqError.status, body: errorEnvelope(linqError, call.traceId) };
      if (linqError.retryAfterSeconds !== undefined)
        response.setHeader("retry-after", String(linqError.retryAfterSeconds));
    }
    call.status = reply.status;
    // Linq puts the call's trace id on every response, success or error; bodies that carry one carry the same.
    response.setHeader("x-trace-id", call.traceId);
    deps.config.log(
      `${call.method} ${path} → ${reply.status}${call.code ? ` ${call.code}` : ""}${call.fault ? ` (${call.fault})` : ""}`,
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
