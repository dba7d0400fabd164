/**
 * The two operations' routes, fuzzed at every part of a request: path, headers, query and body. The handlers are the
 * deployed ones (`operationFunction` with the route's parser and service call, as functions/update-chat.ts and
 * functions/remove-participant.ts build them), around the fake world instead of DynamoDB and Linq.
 *
 * - Any request: never a 5xx; JSON, either a success body or exactly Linq's envelope; a refusal writes nothing, binds no
 *   idempotency key and never calls Linq; an acceptance calls Linq once and records one operation.
 * - A request built only of valid parts is accepted and Linq is sent the normalised request; one invalid part among
 *   them is refused (401 for the token, whatever else is wrong).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { updateChat, removeParticipant } from "../../src/domain/operations-service.ts";
import type { ChatUpdateRequest } from "../../src/domain/operation.ts";
import type { IdempotencyKeys } from "../../src/domain/ports.ts";
import { parseChatUpdate, parseParticipantRemove } from "../../src/domain/validation.ts";
import { operationFunction } from "../../src/http/operation-function.ts";
import { makeWorld, type World } from "../fakes/world.ts";
import {
  aChatId,
  aContentType,
  aDisplayName,
  aHandle,
  anAuthorization,
  anIconUrl,
  anIdempotencyKey,
  anUnknownField,
  anyJson,
  anyText,
  aUuid,
  invalid,
  notAnObject,
  otherHeaders,
  otherQuery,
  ownObject,
  SERVICE_TOKENS,
  trimmed,
  type Judged,
} from "./arbitraries.ts";
import { aBodyFor, apiEvent, context, expectLinqAnswer, quietLogs, type EncodedBody } from "./http.ts";
import { fuzzOptions, timeLimit } from "./settings.ts";
import { linkedSecretsEnvironment } from "../../src/config.ts";

// The operations read their tokens when built, as at a cold start.
Object.assign(process.env, linkedSecretsEnvironment({ ServiceTokens: SERVICE_TOKENS.join(",") }));

quietLogs();

const UPDATE = "PUT /v3/chats/{chatId}";
const REMOVE = "DELETE /v3/chats/{chatId}/participants";

/** The fake world, with every idempotency key the service binds counted. */
function fuzzWorld() {
  const world = makeWorld();
  const binds: unknown[] = [];
  const keys: IdempotencyKeys = {
    bind: (...args) => {
      binds.push(args);
      return world.keys.bind(...args);
    },
  };
  return { world, binds, deps: { ...world, keys } };
}

function handlerFor(routeKey: string, deps: ReturnType<typeof fuzzWorld>["deps"]) {
  return routeKey === UPDATE
    ? operationFunction(deps, parseChatUpdate, updateChat)
    : operationFunction(deps, parseParticipantRemove, removeParticipant);
}

function expectNothingDone(world: World, binds: unknown[]): void {
  expect(world.linq.calls).toEqual([]);
  expect(world.store.counts.writes).toBe(0);
  expect(binds).toEqual([]);
}

/** Accepted: Linq called once, one operation recorded, and the answer names it. */
function expectOneOperation(world: World, body: unknown): void {
  expect(world.linq.calls).toHaveLength(1);
  const records = world.store.all();
  expect(records).toHaveLength(1);
  expect(body).toHaveProperty("trace_id", records[0]?.trace_id);
}

// ---- bodies ----

type JudgedBody<R> = Judged<unknown> & { sent?: R };

/** An update's body: a display name and/or an icon, each valid or not, maybe a field it must not have; or no object. */
const anUpdateBody: fc.Arbitrary<JudgedBody<ChatUpdateRequest>> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        name: fc.option(aDisplayName, { nil: undefined }),
        icon: fc.option(anIconUrl, { nil: undefined, freq: 3 }),
        extra: fc.option(anUnknownField, { nil: undefined, freq: 6 }),
        iconFirst: fc.boolean(),
      })
      .map(({ name, icon, extra, iconFirst }) => {
        const fields: [string, unknown][] = [];
        if (name !== undefined) fields.push(["display_name", name.value]);
        if (icon !== undefined) fields[iconFirst ? "unshift" : "push"](["group_chat_icon", icon.value]);
        if (extra !== undefined) fields.push(extra);
        const isValid =
          (name !== undefined || icon !== undefined) &&
          (name?.valid ?? true) &&
          (icon?.valid ?? true) &&
          extra === undefined;
        const sent: ChatUpdateRequest = {};
        if (name !== undefined) sent.display_name = trimmed(name.value) as string;
        if (icon !== undefined) sent.group_chat_icon = trimmed(icon.value) as string;
        return { value: ownObject(fields), valid: isValid, ...(isValid ? { sent } : {}) };
      }),
  },
  { weight: 1, arbitrary: invalid(notAnObject) },
);

/** A removal's body: a handle valid or not (or none), maybe a field it must not have; or no object. */
const aRemovalBody: fc.Arbitrary<JudgedBody<{ handle: string }>> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({
        handle: fc.option(aHandle, { nil: undefined, freq: 8 }),
        extra: fc.option(anUnknownField, { nil: undefined, freq: 6 }),
      })
      .map(({ handle, extra }) => {
        const fields: [string, unknown][] = [];
        if (handle !== undefined) fields.push(["handle", handle.value]);
        if (extra !== undefined) fields.push(extra);
        const isValid = handle !== undefined && handle.valid && extra === undefined;
        return {
          value: ownObject(fields),
          valid: isValid,
          ...(isValid && handle.sent !== undefined ? { sent: { handle: handle.sent } } : {}),
        };
      }),
  },
  { weight: 1, arbitrary: invalid(notAnObject) },
);

/** A body value and the text it is sent as, each judged. */
function encoded<R>(
  body: fc.Arbitrary<JudgedBody<R>>,
): fc.Arbitrary<{ body: JudgedBody<R>; text: Judged<EncodedBody> }> {
  return body.chain((judged) => aBodyFor(judged.value).map((text) => ({ body: judged, text })));
}

/** A request to one of the routes, every part judged. */
function aJudgedRequest<R>(body: fc.Arbitrary<JudgedBody<R>>) {
  return fc.record({
    authorization: anAuthorization,
    contentType: aContentType,
    chatId: aChatId,
    idempotencyKey: anIdempotencyKey,
    payload: encoded(body),
    other: otherHeaders,
    query: otherQuery,
  });
}

/** Anything at all where a request has room for it: any headers, path, query, and body text. */
const aWildRequest = fc.record({
  authorization: fc.option(
    fc.oneof(
      anAuthorization.map((judged) => judged.value),
      anyText,
    ),
    { nil: undefined },
  ),
  contentType: fc.option(
    fc.oneof(
      aContentType.map((judged) => judged.value),
      anyText,
    ),
    { nil: undefined },
  ),
  idempotencyKey: fc.option(anyText, { nil: undefined }),
  other: otherHeaders,
  chatId: fc.option(fc.oneof(aUuid, anyText), { nil: undefined }),
  query: otherQuery,
  body: fc.oneof(
    anyJson.chain((json) => aBodyFor(json).map((judged) => judged.value)),
    anyText.map((text): EncodedBody => ({ body: text, base64: false })),
    anyText.map((text): EncodedBody => ({ body: text, base64: true })),
  ),
});

interface Parts {
  authorization: string | undefined;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  other: Record<string, string>;
  chatId: string | undefined;
  query: Record<string, string> | undefined;
  body: EncodedBody;
}

/** The event for a request's parts, built afresh for each run (middy replaces the body with the parsed one). */
function eventOf(routeKey: string, parts: Parts) {
  return apiEvent({
    routeKey,
    headers: {
      ...parts.other,
      authorization: parts.authorization,
      "content-type": parts.contentType,
      "idempotency-key": parts.idempotencyKey,
    },
    pathParameters: { chatId: parts.chatId },
    query: parts.query,
    body: parts.body.body,
    base64: parts.body.base64,
  });
}

// ---- the properties ----

describe.each([
  { routeKey: UPDATE, body: anUpdateBody as fc.Arbitrary<JudgedBody<unknown>>, op: "updateChat", status: 200 },
  { routeKey: REMOVE, body: aRemovalBody as fc.Arbitrary<JudgedBody<unknown>>, op: "removeParticipant", status: 202 },
])("$routeKey", ({ routeKey, body, op, status: acceptedStatus }) => {
  it(
    "answers anything below 500 in Linq's shape; a refusal writes nothing and calls no Linq",
    async () => {
      await fc.assert(
        fc.asyncProperty(aWildRequest, async (parts) => {
          const { world, binds, deps } = fuzzWorld();
          const event = eventOf(routeKey, parts);
          const { status, body: answer } = expectLinqAnswer(await handlerFor(routeKey, deps)(event, context()));
          if (status >= 400) expectNothingDone(world, binds);
          else expectOneOperation(world, answer);
        }),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );

  it(
    "accepts a request made of valid parts, with Linq sent the normalised request; refuses one with any invalid part",
    async () => {
      await fc.assert(
        fc.asyncProperty(aJudgedRequest(body), async (parts) => {
          const { world, binds, deps } = fuzzWorld();
          const event = eventOf(routeKey, {
            authorization: parts.authorization.value,
            contentType: parts.contentType.value,
            idempotencyKey: parts.idempotencyKey.value,
            other: parts.other,
            chatId: parts.chatId.value,
            query: parts.query,
            body: parts.payload.text.value,
          });
          const { status, body: answer } = expectLinqAnswer(await handlerFor(routeKey, deps)(event, context()));
          const judged = [
            parts.authorization,
            parts.contentType,
            parts.chatId,
            parts.idempotencyKey,
            parts.payload.body,
            parts.payload.text,
          ];
          if (!parts.authorization.valid) {
            expect(status).toBe(401);
            expectNothingDone(world, binds);
          } else if (judged.every((part) => part.valid)) {
            expect(status).toBe(acceptedStatus);
            expectOneOperation(world, answer);
            const chatId = (parts.chatId.value as string).toLowerCase();
            expect(world.linq.calls).toEqual([
              op === "updateChat"
                ? { op, chatId, request: parts.payload.body.sent }
                : { op, chatId, handle: (parts.payload.body.sent as { handle: string }).handle },
            ]);
            expect(binds).toHaveLength(parts.idempotencyKey.value === undefined ? 0 : 1);
          } else {
            expect(status).toBeGreaterThanOrEqual(400);
            expectNothingDone(world, binds);
          }
        }),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );
});
