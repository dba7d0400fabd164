/**
 * The OpenAPI document and the events' JSON Schemas: generated from the route table and the schemas the service
 * parses with, they say what the contract says. Validated with Ajv's draft 2020-12 validator, the draft OpenAPI 3.1
 * and the generated event schemas declare, so the examples are checked by an independent implementation of JSON
 * Schema rather than by valibot, which the documents were generated from.
 */
import { FakeMetrics } from "../fakes/metrics.ts";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { OUTCOME_SCHEMA_VERSION } from "../../src/definitions/events.ts";
import { functions } from "../../src/definitions/functions.ts";
import { toPublicRecord } from "../../src/domain/operation.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { outcomeDetail, publishOutcomes } from "../../src/domain/outcomes.ts";
import { generatedDocuments } from "../../src/schemas/documents.ts";
import { currentOpenApiDocument, eventSchemas, ROOT } from "../../src/schemas/openapi.ts";
import { createHttpAdapter, OPENAPI_PATH } from "../../local/http-adapter.ts";
import { FakeOutcomePublisher } from "../fakes/outcome-publisher.ts";
import {
  groupIconUpdateFailed,
  groupNameUpdated,
  OUR_LINE,
  otherEvent,
  participantRemoved,
  participantRemovedDeprecated,
} from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld } from "../fakes/world.ts";

const document = currentOpenApiDocument();

/** Ajv with the formats the documents use, defined here as the service reads them. */
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addFormat("date-time", (value: string) => /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value)));
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  // The document's components as the `$defs` of one schema, their `#/components/schemas/` references following them
  // there: Ajv resolves references into JSON Schema keywords only, and `components` is OpenAPI's.
  const defs = JSON.parse(
    JSON.stringify(document.components.schemas).replaceAll('"#/components/schemas/', '"#/$defs/'),
  );
  ajv.addSchema({ $id: "openapi.json", $defs: defs });
  return ajv;
}

const ajv = validator();

function component(name: string) {
  const validate = ajv.compile({ $ref: `openapi.json#/$defs/${name}` });
  return (value: unknown) => (validate(value) ? "valid" : ajv.errorsText(validate.errors));
}

const events = eventSchemas();
function eventDetail(detailType: string) {
  const validate = ajv.compile(events[detailType]!);
  return (value: unknown) => (validate(value) ? "valid" : ajv.errorsText(validate.errors));
}

describe("the OpenAPI document and the route table", () => {
  const routes = functions.flatMap((definition) => ("http" in definition ? [{ ...definition.http, definition }] : []));

  it("documents every route of src/definitions/functions.ts, with its method, and nothing else", () => {
    const documented = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`),
    );
    expect(documented.sort()).toEqual(routes.map(({ method, path }) => `${method} ${path}`).sort());
  });

  it.each(routes)("$method $path names its function and every path parameter of its template", (route) => {
    const operation = document.paths[route.path]![route.method.toLowerCase()] as {
      operationId: string;
      parameters: { name: string; in: string; required: boolean }[];
    };
    expect(operation.operationId).toBe(route.definition.name);
    const templated = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const inPath = operation.parameters.filter((parameter) => parameter.in === "path");
    expect(inPath.map((parameter) => parameter.name)).toEqual(templated);
    expect(inPath.every((parameter) => parameter.required)).toBe(true);
  });

  it("is OpenAPI 3.1, whose schemas are JSON Schema 2020-12, and every schema compiles", () => {
    expect(document.openapi).toBe("3.1.0");
    for (const name of Object.keys(document.components.schemas)) expect(() => component(name)).not.toThrow();
  });

  it("is served by npm start at GET /openapi.json", async () => {
    const { server } = createHttpAdapter();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}${OPENAPI_PATH}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));
    } finally {
      server.close();
    }
  });

  it("and the event schemas are committed in docs/ as generated (npm run docs:schemas)", async () => {
    for (const [file, content] of await generatedDocuments()) {
      expect(await readFile(path.join(ROOT, file), "utf8"), file).toBe(content);
    }
  });
});

// The contract's examples (shared/docs/contract.md, and the README's, which follow it).
const TRACE = "3f0c9a1e-2b4d-4c6e-8f00-1a2b3c4d5e6f";
const AT = "2026-03-01T12:00:00.000Z";
const contractRecord = {
  chat_id: "550e8400-e29b-41d4-a716-446655440000",
  trace_id: TRACE,
  kind: "chat.update",
  status: "failed",
  request: { display_name: "fail:x", group_chat_icon: "https://example.com/i.png" },
  results: {
    display_name: {
      status: "failed",
      settled_at: AT,
      settled_by: "webhook",
      basis: "proven",
      error_code: 4001,
      reason: "Linq reported chat.group_name_update_failed (error_code 4001); tied to this operation by its trace id",
      evidence: [
        {
          source: "webhook",
          event_id: "0b5e3c1a-7d2f-4e8a-9c6b-5a4d3e2f1a0b",
          event_type: "chat.group_name_update_failed",
          webhook_id: "msg_2x",
          trace_id: "9b1e",
          error_code: 4001,
          at: AT,
          received_at: AT,
          matched_by: "trace_id",
        },
      ],
    },
    group_chat_icon: {
      status: "succeeded",
      settled_at: AT,
      settled_by: "reconciler",
      basis: "proven",
      evidence: [
        {
          source: "reconciler",
          read: { group_chat_icon: "https://example.com/i.png", updated_at: AT },
          conclusion: "the chat shows the icon",
          at: AT,
        },
      ],
    },
  },
  source: "http",
  created_at: AT,
  updated_at: AT,
  completed_at: AT,
  error: { code: 4001, message: "Linq reported chat.group_name_update_failed (error_code 4001)" },
  linq_attempts: [{ at: AT, result: "accepted", trace_id: "9b1e", status: 200 }],
};
const contractRemoval = {
  chat_id: "550e8400-e29b-41d4-a716-446655440000",
  trace_id: "linq-trace-1",
  kind: "participant.remove",
  status: "pending",
  request: { handle: "+15550000004" },
  results: { participant: { status: "pending" } },
  source: "eventbridge",
  created_at: AT,
  updated_at: AT,
  linq_attempts: [{ at: AT, result: "accepted", trace_id: "linq-trace-1", status: 202 }],
};

describe("the contract's examples validate against the document", () => {
  it.each([
    ["a new name", { display_name: "Team Discussion" }],
    ["a new icon", { group_chat_icon: "https://example.com/i.png" }],
    ["both", { display_name: "Team", group_chat_icon: "https://example.com/i.png" }],
  ])("PUT /v3/chats/{chatId} with %s", (_what, body) => {
    expect(component("ChatUpdateRequest")(body)).toBe("valid");
  });

  it.each([
    ["an unknown field (1003)", { display_name: "Team", topic: "x" }],
    ["an empty name (1005)", { display_name: "" }],
    ["a name that is not a string (1003)", { display_name: 7 }],
  ])("and refuses an update with %s, as the service does", (_what, body) => {
    expect(component("ChatUpdateRequest")(body)).not.toBe("valid");
  });

  it("DELETE /v3/chats/{chatId}/participants with {handle}, and not without it", () => {
    expect(component("ParticipantRemoveRequest")({ handle: "+15550000004" })).toBe("valid");
    expect(component("ParticipantRemoveRequest")({ handle: "carol@example.com" })).toBe("valid");
    expect(component("ParticipantRemoveRequest")({})).not.toBe("valid");
  });

  it("the two operations' answers", () => {
    expect(component("ChatUpdateAnswer")({ chat_id: contractRecord.chat_id, status: "pending", trace_id: TRACE })).toBe(
      "valid",
    );
    expect(
      component("ParticipantRemoveAnswer")({
        message: "Participant removal queued",
        status: "accepted",
        trace_id: "linq-trace-1",
      }),
    ).toBe("valid");
  });

  it("the operation record, alone and in a page", () => {
    expect(component("OperationRecord")(contractRecord)).toBe("valid");
    expect(component("OperationRecord")(contractRemoval)).toBe("valid");
    expect(component("OperationPage")({ data: [contractRecord, contractRemoval], next_cursor: null })).toBe("valid");
    expect(component("OperationPage")({ data: [], next_cursor: "eyJr" })).toBe("valid");
    expect(component("OperationRecord")({ ...contractRecord, kind: "chat.rename" })).not.toBe("valid");
  });

  it.each([
    [400, 1001, "handle is required"],
    [400, 1002, "Phone number must be in E.164 format"],
    [400, 1003, "Request body must be a JSON object"],
    [400, 1005, "chatId must be a UUID"],
    [401, 2004, "Unauthorized - missing or invalid authentication token"],
    [404, 2001, "Operation not found"],
    [409, 1006, "Cannot update a direct message chat"],
    [502, 3006, "Linq is unavailable"],
  ])("the error envelope of a %i (%i)", (status, code, message) => {
    expect(component("ErrorEnvelope")({ error: { status, code, message }, success: false })).toBe("valid");
    expect(component("ErrorEnvelope")({ error: { status, code, message }, success: true })).not.toBe("valid");
  });

  it("Linq's webhook deliveries, and the answer to them", () => {
    for (const event of [
      groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE }),
      groupIconUpdateFailed(CHAT, 4001),
      participantRemoved(CHAT, "+15550000004"),
      participantRemovedDeprecated(CHAT, "+15550000004"),
      otherEvent("message.received", { chat_id: CHAT }),
    ]) {
      expect(component("LinqWebhookEvent")(event)).toBe("valid");
    }
    expect(component("WebhookAnswer")({ received: true, result: "settled" })).toBe("valid");
  });

  it("the request events' details (the README's examples)", () => {
    const update = eventDetail("chat.update.requested");
    expect(update({ chat_id: contractRecord.chat_id, display_name: "Team", idempotency_key: "rename-42" })).toBe(
      "valid",
    );
    expect(update({ chat_id: contractRecord.chat_id, display_name: "Team", handle: "+15550000004" })).not.toBe("valid");
    const removal = eventDetail("participant.remove.requested");
    expect(removal({ chat_id: contractRecord.chat_id, handle: "+15550000004" })).toBe("valid");
    expect(removal({ handle: "+15550000004" })).not.toBe("valid");
  });

  it("the outcome events' detail: the record with its schema version", () => {
    for (const detailType of ["operation.succeeded", "operation.failed"]) {
      const outcome = eventDetail(detailType);
      expect(outcome({ ...contractRecord, schema_version: OUTCOME_SCHEMA_VERSION })).toBe("valid");
      expect(outcome(contractRecord)).not.toBe("valid");
    }
  });
});

describe("what the service really answers and publishes validates too", () => {
  let world: ReturnType<typeof makeWorld>;
  beforeAll(async () => {
    world = makeWorld();
    world.linq.answerRemoveParticipant({
      body: { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" },
    });
    await updateChat(world, { chatId: CHAT, request: { display_name: "Team" }, source: "http" });
    await removeParticipant(world, { chatId: CHAT, request: { handle: "+15550000004" }, source: "eventbridge" });
    await world.deliver(groupNameUpdated(CHAT, "Team", { changedBy: OUR_LINE }));
  });

  it("records, pending and settled", () => {
    const records = world.store.all().map(toPublicRecord);
    expect(records.map((record) => record.status).sort()).toEqual(["pending", "succeeded"]);
    for (const record of records) expect(component("OperationRecord")(record)).toBe("valid");
  });

  it("the outcome event of the settled one, carrying schema_version", async () => {
    const settled = world.store.all().find((record) => record.status === "succeeded")!;
    const publisher = new FakeOutcomePublisher();
    await publishOutcomes(publisher, [{ before: undefined, after: settled }], new FakeMetrics());
    expect(publisher.published).toEqual([outcomeDetail(toPublicRecord(settled))]);
    expect(publisher.published[0]).toMatchObject({ schema_version: OUTCOME_SCHEMA_VERSION });
    expect(eventDetail("operation.succeeded")(publisher.published[0])).toBe("valid");
  });
});
