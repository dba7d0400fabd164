/**
 * The OpenAPI 3.1 document of the HTTP API and the JSON Schemas of the bus's events, generated from the schemas the
 * service parses with and the route table of `src/definitions/functions.ts`: a route, a parameter or a field cannot be
 * documented one way and enforced another. Served locally at `GET /openapi.json`, written to `docs/` by
 * `npm run docs:schemas`. Not bundled into any function (it needs `@valibot/to-json-schema`, a dev dependency).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { toJsonSchema, toJsonSchemaDefs, type ConversionConfig, type JsonSchema } from "@valibot/to-json-schema";
import { functions, type FunctionName } from "../definitions/functions.ts";
import { OUTCOME_DETAIL_TYPES, REQUEST_DETAIL_TYPES, SERVICE_EVENT_SOURCE } from "../definitions/events.ts";
import { MAX_BODY_BYTES, MAX_WEBHOOK_BYTES } from "../http/http-function.ts";
import { LinqChangedBy, LinqErrorCode, LinqEventId, NewValue, OldValue } from "./linq.ts";
import {
  ChatUpdateAnswer,
  ErrorEnvelope,
  OperationPage,
  OperationRecord,
  OutcomeEventDetail,
  ParticipantRemoveAnswer,
  WebhookAnswer,
} from "./records.ts";
import {
  ChatId,
  ChatUpdateBody,
  ChatUpdateRequestedDetail,
  Handle,
  IdempotencyKey,
  ListCursor,
  ListLimit,
  ParticipantRemoveBody,
  ParticipantRemoveRequestedDetail,
  TraceId,
} from "./requests.ts";

const Anything = v.optional(v.unknown());

/**
 * The five outcome events as the document shows them, composed of the field schemas `readLinqEvent` reads with (it
 * reads field by field, so an unusable event can still be kept with what it said). Every other field, and every other
 * event type, is allowed and ignored. Here rather than in linq.ts, so no function's bundle carries it.
 */
const LinqWebhookEvent = v.pipe(
  v.looseObject({
    event_type: v.pipe(v.string(), v.description("the five below are acted on; any other type is acknowledged")),
    event_id: LinqEventId,
    created_at: v.optional(v.pipe(v.string(), v.isoTimestamp())),
    trace_id: v.optional(v.pipe(v.string(), v.description("maybe the X-Trace-ID of the call that caused it"))),
    api_version: Anything,
    webhook_version: Anything,
    partner_id: Anything,
    data: v.union([
      v.pipe(
        v.looseObject({
          chat_id: ChatId,
          new_value: NewValue,
          old_value: v.optional(OldValue),
          updated_at: v.optional(v.string()),
          changed_by_handle: v.optional(LinqChangedBy),
        }),
        v.description("chat.group_name_updated, chat.group_icon_updated"),
      ),
      v.pipe(
        v.looseObject({ chat_id: ChatId, error_code: LinqErrorCode, failed_at: v.optional(v.string()) }),
        v.description("chat.group_name_update_failed, chat.group_icon_update_failed"),
      ),
      v.pipe(
        v.looseObject({
          chat_id: ChatId,
          participant: v.optional(v.nullable(v.looseObject({ handle: v.optional(Handle), left_at: Anything }))),
          handle: v.optional(v.pipe(Handle, v.description("deprecated: participant.handle"))),
          removed_at: v.optional(v.string()),
        }),
        v.description("participant.removed"),
      ),
      v.pipe(v.record(v.string(), v.unknown()), v.description("any other event type")),
    ]),
  }),
  v.title("LinqWebhookEvent"),
  v.description("A Linq webhook delivery, signed with Standard Webhooks"),
);

/**
 * Pipes are documented by their last schema (what a value is once read: a trimmed name is still a string); the checks
 * and transformations JSON Schema has no word for are left to the descriptions.
 */
const CONVERSION = {
  target: "draft-2020-12",
  typeMode: "output",
  ignoreActions: ["check", "raw_check", "transform", "trim", "to_lower_case"],
} as const satisfies ConversionConfig;

/** Every named shape of the HTTP API: `#/components/schemas/<name>`. */
const COMPONENTS = {
  ChatId,
  TraceId,
  ChatUpdateRequest: ChatUpdateBody,
  ParticipantRemoveRequest: ParticipantRemoveBody,
  ChatUpdateAnswer,
  ParticipantRemoveAnswer,
  OperationRecord,
  OperationPage,
  ErrorEnvelope,
  LinqWebhookEvent,
  WebhookAnswer,
} as const;

type ComponentName = keyof typeof COMPONENTS;

/** The path parameters a route template may name, each with its schema. */
const PATH_PARAMETERS: Record<string, ComponentName> = { chatId: "ChatId", traceId: "TraceId" };

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

const json = (name: ComponentName, description: string) => ({
  description,
  content: { "application/json": { schema: ref(name) } },
});

const error = (description: string) => json("ErrorEnvelope", description);

/** What each HTTP function's route says beyond its method and path, which come from the route table. */
interface RouteDocument {
  summary: string;
  auth: "bearer" | "webhook";
  body?: ComponentName;
  idempotent?: boolean;
  query?: Record<string, v.GenericSchema>;
  responses: Record<string, unknown>;
}

const BEARER_ERRORS = {
  "400": error(
    "Invalid input: 1001 a missing field, 1002 a handle not in E.164, 1003 a malformed body, 1005 a bad value",
  ),
  "401": error("Missing or unknown service token (2004)"),
};

const OPERATION_ERRORS = {
  ...BEARER_ERRORS,
  "409": error(
    "Linq's refusal (1006 a DM chat, 2013 too few participants would remain), or an Idempotency-Key conflict",
  ),
  "413": error(`A body over ${MAX_BODY_BYTES} bytes`),
  "415": error("A body that is not application/json"),
  "502": error("Linq is unavailable (3006): the operation stays pending and is settled later"),
  "504": error("Linq did not answer in time (3006): the operation stays pending and is settled later"),
  default: error("Any other error, in Linq's envelope; a 5xx never carries internals"),
};

const ROUTES: Partial<Record<FunctionName, RouteDocument>> = {
  UpdateChat: {
    summary: "Update a chat's display name and/or icon through Linq, and track the outcome",
    auth: "bearer",
    body: "ChatUpdateRequest",
    idempotent: true,
    responses: { "200": json("ChatUpdateAnswer", "Linq accepted it; the outcome comes later"), ...OPERATION_ERRORS },
  },
  RemoveParticipant: {
    summary: "Remove a participant through Linq, and track the outcome",
    auth: "bearer",
    body: "ParticipantRemoveRequest",
    idempotent: true,
    responses: {
      "202": json("ParticipantRemoveAnswer", "Linq queued it; the outcome comes later"),
      ...OPERATION_ERRORS,
    },
  },
  GetChatOperation: {
    summary: "One operation of a chat, by its trace id",
    auth: "bearer",
    responses: {
      "200": json("OperationRecord", "The operation record"),
      ...BEARER_ERRORS,
      "404": error("No such operation (2001)"),
      default: error("Any other error"),
    },
  },
  ListChatOperations: {
    summary: "A chat's operations, newest first",
    auth: "bearer",
    query: { limit: ListLimit, cursor: ListCursor },
    responses: {
      "200": json("OperationPage", "A page of records"),
      ...BEARER_ERRORS,
      default: error("Any other error"),
    },
  },
  GetOperation: {
    summary: "One operation, by its trace id alone",
    auth: "bearer",
    responses: {
      "200": json("OperationRecord", "The operation record"),
      ...BEARER_ERRORS,
      "404": error("No such operation (2001)"),
      default: error("Any other error"),
    },
  },
  LinqWebhook: {
    summary: "Linq's signed webhook deliveries (Standard Webhooks)",
    auth: "webhook",
    body: "LinqWebhookEvent",
    responses: {
      "200": json(
        "WebhookAnswer",
        "Received. A signed delivery the service cannot use is kept as it came and answered 200 too: Linq never retries a 4xx",
      ),
      "401": error("A signature that does not verify (2004)"),
      "413": error(`A body over ${MAX_WEBHOOK_BYTES} bytes`),
      "503": error("The chat is busy (3006): Linq retries the delivery"),
      default: error("Any other error"),
    },
  },
};

const WEBHOOK_HEADERS = [
  ["webhook-id", "The delivery's id: a redelivery carries the same one"],
  ["webhook-timestamp", "Unix seconds; more than 300 s off is refused"],
  ["webhook-signature", "Space-separated `v1,<base64>` HMAC-SHA256 signatures"],
] as const;

/** A parameter's schema, inline: the components are for bodies and the ids every route shares. */
function inline(schema: v.GenericSchema): JsonSchema {
  const { $schema: _, ...rest } = toJsonSchema(schema, CONVERSION);
  return rest;
}

function parametersOf(path: string, document: RouteDocument): unknown[] {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const parameters: unknown[] = names.map((name) => {
    const schema = PATH_PARAMETERS[name];
    if (schema === undefined) throw new Error(`${path}: no schema for the path parameter ${name}`);
    return { name, in: "path", required: true, schema: ref(schema) };
  });
  for (const [name, schema] of Object.entries(document.query ?? {})) {
    parameters.push({ name, in: "query", required: false, schema: inline(schema) });
  }
  if (document.idempotent) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      schema: inline(v.unwrap(IdempotencyKey)),
    });
  }
  if (document.auth === "webhook") {
    for (const [name, description] of WEBHOOK_HEADERS) {
      parameters.push({ name, in: "header", required: true, description, schema: { type: "string" } });
    }
  }
  return parameters;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

/** The document, built afresh: `version` is the package's. */
export function openApiDocument(version: string): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const definition of functions) {
    if (!("http" in definition)) continue;
    const document = ROUTES[definition.name];
    if (document === undefined) throw new Error(`${definition.name}: its route is not documented`);
    const { method, path } = definition.http;
    const operation: Record<string, unknown> = {
      operationId: definition.name,
      summary: document.summary,
      description: definition.description,
      parameters: parametersOf(path, document),
      security: document.auth === "bearer" ? [{ bearer: [] }] : [],
      responses: document.responses,
    };
    if (document.body !== undefined) {
      operation.requestBody = { required: true, content: { "application/json": { schema: ref(document.body) } } };
    }
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "linq-chat-ops",
      version,
      description:
        "Performs Linq chat operations and tracks each one to a final succeeded or failed. Wire-compatible with " +
        "Linq's Partner API v3 for the two operations: errors use Linq's envelope and codes.",
    },
    paths,
    components: {
      schemas: toJsonSchemaDefs(COMPONENTS, {
        ...CONVERSION,
        overrideRef: ({ referenceId }) => `#/components/schemas/${referenceId}`,
      }),
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A service token" } },
    },
  };
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The document with the package's version, which is the API's. */
export function currentOpenApiDocument(): OpenApiDocument {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
  return openApiDocument(version);
}

/** The JSON Schema of each event's `detail` on the bus, by detail-type. */
export function eventSchemas(): Record<string, JsonSchema> {
  const details: Record<
    (typeof REQUEST_DETAIL_TYPES)[number] | (typeof OUTCOME_DETAIL_TYPES)[number],
    v.GenericSchema
  > = {
    "chat.update.requested": ChatUpdateRequestedDetail,
    "participant.remove.requested": ParticipantRemoveRequestedDetail,
    "operation.succeeded": OutcomeEventDetail,
    "operation.failed": OutcomeEventDetail,
  };
  return Object.fromEntries(
    Object.entries(details).map(([detailType, schema]) => {
      const source = (OUTCOME_DETAIL_TYPES as readonly string[]).includes(detailType)
        ? `put on the bus by this service (source "${SERVICE_EVENT_SOURCE}")`
        : "put on the bus by any source to request the operation";
      return [
        detailType,
        {
          ...toJsonSchema(schema, CONVERSION),
          title: detailType,
          description: `The detail of ${detailType}, ${source}`,
        },
      ];
    }),
  );
}
