/**
 * The EventBridge door, fuzzed: `runRequestEvent` (what functions/on-operation-requested.ts runs) with the fake world
 * and its dead-letter queue, given events whose envelope and detail are valid or not, and events of any shape at all.
 *
 * - A valid request is run: Linq called once with the normalised request, one operation recorded, nothing rejected;
 *   delivered again, it is the same operation and Linq is not called again.
 * - A malformed one never calls Linq: one dead letter with its reason and, when its chat can be named, one `failed`
 *   record and nothing else; delivered again, it is recognised (no second dead letter) when recorded.
 * - Any event at all: it resolves, or throws only what Lambda should retry (Linq unavailable), never anything else.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REQUEST_DETAIL_TYPES } from "../../src/definitions/events.ts";
import { LinqUnavailable } from "../../src/domain/errors.ts";
import type { ChatUpdateRequest } from "../../src/domain/operation.ts";
import { runRequestEvent } from "../../src/domain/request-events.ts";
import { refusal, unavailable } from "../fakes/linq-api.ts";
import { makeWorld, type World } from "../fakes/world.ts";
import {
  aChatId,
  aDisplayName,
  aHandle,
  anIconUrl,
  anUnknownField,
  anyJson,
  anyKey,
  anyText,
  aUuid,
  invalid,
  notAnObject,
  ownObject,
  trimmed,
  validOrNot,
  type Judged,
} from "./arbitraries.ts";
import { quietLogs } from "./http.ts";
import { fuzzOptions, timeLimit } from "./settings.ts";

quietLogs();

const REMOVE = "participant.remove.requested";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---- parts ----

/** EventBridge's `id`: any string will do as a key; anything else is not an event of ours. */
const anEventId: fc.Arbitrary<Judged<unknown>> = validOrNot<unknown>(
  fc.oneof(fc.uuid(), fc.constantFrom("evt-1", "evt-2"), anyText),
  fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.array(fc.uuid(), { maxLength: 1 })),
);

const aDetailType: fc.Arbitrary<Judged<unknown>> = validOrNot<unknown>(
  fc.constantFrom(...REQUEST_DETAIL_TYPES),
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom("operation.succeeded", "operation.failed", "Chat.Update.Requested", "chat.update", ""),
    fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty"),
    anyText.filter((text) => !(REQUEST_DETAIL_TYPES as readonly string[]).includes(text)),
    fc.integer(),
  ),
);

/** A detail's `idempotency_key`: absent or null, or 1 to 255 characters; or empty, too long, not a string. */
const aDetailKey: fc.Arbitrary<Judged<unknown>> = validOrNot<unknown>(
  fc.oneof(fc.constant(undefined), fc.constant(null), fc.string({ minLength: 1, maxLength: 255 })),
  fc.oneof(
    fc.constant(""),
    fc.string({ minLength: 256, maxLength: 300 }),
    fc.integer(),
    fc.boolean(),
    fc.dictionary(anyKey, anyText, { maxKeys: 1 }),
  ),
);

/** A detail's `chat_id`: a missing one (absent, null, empty) is a missing field, the rest as in a path. */
const aDetailChatId: fc.Arbitrary<Judged<unknown>> = fc.oneof(
  { weight: 6, arbitrary: aChatId.filter((judged) => judged.value !== undefined) },
  { weight: 1, arbitrary: invalid(fc.constantFrom(undefined, null, "")) },
  { weight: 1, arbitrary: invalid(fc.oneof(fc.integer(), fc.boolean(), fc.array(aUuid, { maxLength: 1 }))) },
);

/** A field no detail has: the body's own unknown fields, never the two the detail adds to it. */
const aStrayField = anUnknownField.filter(([key]) => key !== "chat_id" && key !== "idempotency_key");

interface Detail {
  detail: Judged<unknown>;
  /** What Linq must be sent for a valid one. */
  sent?: ChatUpdateRequest | { handle: string };
  /** Whether the detail names a chat we could record a failure against (a UUID `chat_id`). */
  namesChat: boolean;
}

/** The fields of a detail as own properties (absent ones left out), in the order given. */
function detailOf(fields: [string, unknown][]): Record<string, unknown> {
  return ownObject(fields.filter(([, value]) => value !== undefined));
}

const namesChat = (chatId: Judged<unknown>) => typeof chatId.value === "string" && UUID.test(chatId.value);

const anUpdateDetail: fc.Arbitrary<Detail> = fc
  .record({
    chatId: aDetailChatId,
    name: fc.option(aDisplayName, { nil: undefined }),
    icon: fc.option(anIconUrl, { nil: undefined, freq: 3 }),
    key: aDetailKey,
    extra: fc.option(aStrayField, { nil: undefined, freq: 6 }),
  })
  .map(({ chatId, name, icon, key, extra }) => {
    const isValid =
      chatId.valid &&
      key.valid &&
      (name !== undefined || icon !== undefined) &&
      (name?.valid ?? true) &&
      (icon?.valid ?? true) &&
      extra === undefined;
    const fields: [string, unknown][] = [
      ...(extra === undefined ? [] : [extra]),
      ["chat_id", chatId.value],
      ["display_name", name?.value],
      ["group_chat_icon", icon?.value],
      ["idempotency_key", key.value],
    ];
    const sent: ChatUpdateRequest = {};
    if (name !== undefined) sent.display_name = trimmed(name.value) as string;
    if (icon !== undefined) sent.group_chat_icon = trimmed(icon.value) as string;
    return {
      detail: { value: detailOf(fields), valid: isValid },
      ...(isValid ? { sent } : {}),
      namesChat: namesChat(chatId),
    };
  });

const aRemovalDetail: fc.Arbitrary<Detail> = fc
  .record({
    chatId: aDetailChatId,
    handle: fc.option(aHandle, { nil: undefined, freq: 8 }),
    key: aDetailKey,
    extra: fc.option(aStrayField, { nil: undefined, freq: 6 }),
  })
  .map(({ chatId, handle, key, extra }) => {
    const isValid = chatId.valid && key.valid && handle !== undefined && handle.valid && extra === undefined;
    const fields: [string, unknown][] = [
      ...(extra === undefined ? [] : [extra]),
      ["chat_id", chatId.value],
      ["handle", handle?.value],
      ["idempotency_key", key.value],
    ];
    return {
      detail: { value: detailOf(fields), valid: isValid },
      ...(isValid && handle?.sent !== undefined ? { sent: { handle: handle.sent } } : {}),
      namesChat: namesChat(chatId),
    };
  });

/** A detail for the detail-type (or for the other one: the fields then do not fit), or no object at all. */
function aDetailFor(detailType: unknown): fc.Arbitrary<Detail> {
  const fitting = detailType === REMOVE ? aRemovalDetail : anUpdateDetail;
  const other = detailType === REMOVE ? anUpdateDetail : aRemovalDetail;
  return fc.oneof(
    { weight: 8, arbitrary: fitting },
    {
      weight: 1,
      arbitrary: other.map((detail) => ({ ...detail, detail: { ...detail.detail, valid: false }, sent: undefined })),
    },
    { weight: 1, arbitrary: notAnObject.map((value) => ({ detail: { value, valid: false }, namesChat: false })) },
  );
}

/** An EventBridge event as Lambda hands it to the subscriber. */
const aRequestEvent = fc
  .record({ id: anEventId, detailType: aDetailType, source: fc.oneof(fc.constant("crm.app"), anyText) })
  .chain((envelope) => aDetailFor(envelope.detailType.value).map((detail) => ({ ...envelope, ...detail })))
  .map(({ id, detailType, source, detail, sent, namesChat }) => ({
    event: ownObject(
      (
        [
          ["version", "0"],
          ["id", id.value],
          ["detail-type", detailType.value],
          ["source", source],
          ["account", "123456789012"],
          ["time", "2026-03-01T12:00:00Z"],
          ["region", "eu-west-1"],
          ["resources", []],
          ["detail", detail.value],
        ] as [string, unknown][]
      ).filter(([, value]) => value !== undefined),
    ),
    valid: id.valid && detailType.valid && detail.valid,
    sent,
    /** A malformed event that still names a chat, with an id and a known detail-type: recorded as failed. */
    recorded: id.valid && detailType.valid && namesChat,
  }));

function expectNoLinq(world: World): void {
  expect(world.linq.calls).toEqual([]);
}

// ---- the properties ----

describe("request events", () => {
  it(
    "runs a valid request once, Linq sent the normalised request; rejects a malformed one without calling Linq",
    async () => {
      await fc.assert(
        fc.asyncProperty(aRequestEvent, async ({ event, valid: isValid, sent, recorded }) => {
          const world = makeWorld();
          const first = await runRequestEvent(world, structuredClone(event));
          if (isValid) {
            expect(first).toEqual({ result: "accepted", traceId: expect.any(String) });
            expect(world.linq.calls).toHaveLength(1);
            const call = world.linq.calls[0];
            expect(call?.op === "updateChat" ? call.request : { handle: (call as { handle: string }).handle }).toEqual(
              sent,
            );
            expect(world.store.all()).toHaveLength(1);
            expect(world.rejected.rejected).toEqual([]);
          } else {
            expect(first).toMatchObject({ result: "rejected", reason: expect.any(String) });
            expectNoLinq(world);
            expect(world.rejected.rejected).toHaveLength(1);
            const records = world.store.all();
            expect(records).toHaveLength(recorded ? 1 : 0);
            for (const record of records) {
              expect(record).toMatchObject({ status: "failed", source: "eventbridge", linq_attempts: [] });
              expect(first).toHaveProperty("traceId", record.trace_id);
            }
          }

          // Delivered again, as EventBridge and Lambda may.
          const second = await runRequestEvent(world, structuredClone(event));
          if (isValid) {
            expect(second).toEqual(first);
            expect(world.linq.calls).toHaveLength(1);
          } else if (recorded) {
            // Dead-lettered again (a redrive takes the first out of the queue), recorded once.
            expect(second).toEqual({ ...first, duplicate: true });
            expect(world.rejected.rejected).toHaveLength(2);
            expect(world.rejected.rejected[1]).toEqual(world.rejected.rejected[0]);
            expect(world.store.all()).toHaveLength(1);
          } else {
            expect(second).toEqual(first);
          }
          if (!isValid) expectNoLinq(world);
        }),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );

  it(
    "takes any event at all: resolves, or throws only Linq being unavailable; a rejection never calls Linq",
    async () => {
      const aWildEvent = fc.oneof(
        anyJson,
        fc
          .record({
            id: fc.oneof(fc.uuid(), anyJson),
            detailType: fc.oneof(fc.constantFrom(...REQUEST_DETAIL_TYPES), anyJson),
            detail: anyJson,
          })
          .map(({ id, detailType, detail }) =>
            ownObject([
              ["id", id],
              ["detail-type", detailType],
              ["detail", detail],
            ]),
          ),
        fc
          .record({
            detailType: fc.constantFrom(...REQUEST_DETAIL_TYPES),
            detail: fc.dictionary(
              fc.oneof(
                fc.constantFrom("chat_id", "display_name", "group_chat_icon", "handle", "idempotency_key"),
                anyKey,
              ),
              fc.oneof(anyJson, aUuid),
              { maxKeys: 5 },
            ),
          })
          .map(({ detailType, detail }) => ({ id: "evt-1", "detail-type": detailType, detail })),
      );
      /** Linq's answers to the calls a valid event makes: accepted, refused for good, or unavailable. */
      const aLinqAnswer = fc.constantFrom("accepted", "refused", "unavailable", "timeout");
      await fc.assert(
        fc.asyncProperty(aWildEvent, aLinqAnswer, async (event, linq) => {
          const world = makeWorld();
          if (linq !== "accepted") {
            const reply =
              linq === "refused"
                ? refusal(409, 1006, "A direct message chat")
                : unavailable(linq === "timeout" ? "timeout" : "unavailable");
            world.linq.answerUpdateChat(reply);
            world.linq.answerRemoveParticipant(reply);
          }
          let outcome: Awaited<ReturnType<typeof runRequestEvent>>;
          try {
            outcome = await runRequestEvent(world, event);
          } catch (error) {
            expect(error).toBeInstanceOf(LinqUnavailable);
            expect(world.linq.calls).toHaveLength(1);
            return;
          }
          expect(["accepted", "refused", "rejected"]).toContain(outcome.result);
          if (outcome.result === "rejected") {
            expectNoLinq(world);
            expect(world.rejected.rejected).toHaveLength(1);
            for (const record of world.store.all()) expect(record.status).toBe("failed");
          } else {
            expect(world.linq.calls).toHaveLength(1);
            expect(world.store.all()).toHaveLength(1);
          }
        }),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );
});
