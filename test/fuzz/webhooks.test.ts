/**
 * Linq's webhook route, fuzzed: bodies (any JSON, near-valid Linq envelopes with fields of every wrong type and size,
 * `__proto__` keys, bytes that are not text) and signature headers (genuine, missing, malformed, stale, forged, random
 * `v1` lists, the deprecated scheme). The handler is functions/linq-webhook.ts's, with the real `WebhookVerifier` on
 * known secrets and `applyLinqEvent` on the fake world's store, which holds a few operations the events may settle.
 *
 * - Genuine signature, any body within the limit: 200 `{received: true, result}` (the service keeps what it cannot
 *   use), Linq never called; the same delivery again is a duplicate (or ignored) and writes nothing.
 * - Missing or forged signature: 401 in Linq's envelope, nothing written. Over the size limit: 413, nothing written.
 * - Anything at all: never a 5xx, always JSON in one of those shapes.
 */
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { WebhookVerifier } from "../../src/adapters/webhook-verifier.ts";
import { systemClock } from "../../src/app/system.ts";
import { applyLinqEvent } from "../../src/domain/correlation.ts";
import { readLinqEvent, type LinqEvent } from "../../src/domain/linq-events.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { MAX_WEBHOOK_BYTES, webhookFunction } from "../../src/http/http-function.ts";
import {
  A_PERSON,
  groupIconUpdated,
  groupIconUpdateFailed,
  groupNameUpdated,
  groupNameUpdateFailed,
  OUR_LINE,
  participantRemoved,
  participantRemovedDeprecated,
} from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, type World } from "../fakes/world.ts";
import { anyJson, anyKey, anyText, aUuid, notAUuid, ownObject } from "./arbitraries.ts";
import { apiEvent, context, expectLinqAnswer, quietLogs } from "./http.ts";
import { fuzzOptions, timeLimit } from "./settings.ts";

quietLogs();

const ROUTE = "POST /webhooks/linq";
const SECRET = `whsec_${Buffer.from("the fuzz tests' webhook secret").toString("base64")}`;
const ROTATED_SECRET = `whsec_${Buffer.from("the secret rotated in").toString("base64")}`;
const STRANGER_SECRET = `whsec_${Buffer.from("anyone else's secret").toString("base64")}`;
const LEGACY_SECRET = "the deprecated scheme's secret";
/** `standardwebhooks`' window, both ways. */
const TOLERANCE_S = 300;

const verifier = new WebhookVerifier({
  secrets: [SECRET, ROTATED_SECRET],
  legacySecrets: [LEGACY_SECRET],
  clock: systemClock,
});

/** functions/linq-webhook.ts's route, on the world's store. */
function webhookHandler(world: World) {
  const deps = { store: world.store, clock: world.clock };
  return webhookFunction(
    (raw, headers) => verifier.verify(raw, headers),
    async ({ deliveryId, raw, payload }) => {
      const event: LinqEvent =
        payload === undefined ? { type: "unusable", reason: "the body is not JSON" } : readLinqEvent(payload);
      if (event.type === "unusable") event.raw = raw.toString("utf8");
      const settlement = await applyLinqEvent(deps, event, deliveryId);
      return { status: 200, body: { received: true, result: settlement.result } };
    },
  );
}

// ---- the world the events land in ----

const NAMES = ["Team", "Équipe 🎉", "  padded  ", "x".repeat(300)];
const ICONS = ["https://example.com/a.png", "https://cdn.linqapp.com/icons/1.png"];
const HANDLES = ["+15550000002", "+1 (555) 000-0003", "Carol@Example.COM"];

/** Operations the chat already has: updates and removals whose values the events may name, or not. */
const aHistory = fc.array(
  fc.oneof(
    fc.record({ display_name: fc.constantFrom(...NAMES.slice(0, 2)) }),
    fc.record({ group_chat_icon: fc.constantFrom(...ICONS) }),
    fc.record({ display_name: fc.constantFrom(...NAMES.slice(0, 2)), group_chat_icon: fc.constantFrom(...ICONS) }),
    fc.record({ handle: fc.constantFrom(...HANDLES) }),
  ),
  { maxLength: 4 },
);

async function worldWith(history: ({ handle: string } | { display_name?: string; group_chat_icon?: string })[]) {
  const world = makeWorld();
  for (const request of history) {
    world.clock.advance(1000);
    if ("handle" in request) await removeParticipant(world, { chatId: CHAT, request, source: "http" });
    else await updateChat(world, { chatId: CHAT, request, source: "http" });
  }
  world.linq.calls.length = 0;
  return world;
}

// ---- bodies ----

const OUTCOME_TYPES = [
  "chat.group_name_updated",
  "chat.group_icon_updated",
  "chat.group_name_update_failed",
  "chat.group_icon_update_failed",
  "participant.removed",
];

/** A value of any JSON type, or a huge string: what a field of Linq's might hold instead of what it should. */
const wrong: fc.Arbitrary<unknown> = fc.oneof(
  anyJson,
  fc.integer({ min: 129, max: 70_000 }).map((n) => "x".repeat(n)),
);

/** A field as Linq sends it (mostly), or absent, or of the wrong type or size. */
function field<T>(right: fc.Arbitrary<T>): fc.Arbitrary<T | unknown | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: right },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: wrong },
  );
}

const aTimestamp = fc.oneof(
  fc
    .date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom("2026-03-01T12:00:05Z", "not a date", "", "+275760-09-13T00:00:00.000Z", "2026-02-30T25:61:00Z"),
);

/** Linq's event ids are UUIDs or 32 hex digits; a few repeat, as a redelivered event's would. */
const anEventId = fc.oneof(
  fc.uuid(),
  fc.constantFrom("evt-1", "evt-2", "evt-3"),
  fc.string({ unit: fc.constantFrom(..."abcdef0123456789"), minLength: 32, maxLength: 32 }),
);
const aChangedBy = fc.oneof(
  fc.constant(null),
  fc.record({ handle: fc.oneof(fc.constantFrom(...HANDLES), anyText), is_me: fc.boolean() }),
  anyJson,
);

/** Linq's envelope of an event, near-valid: every field right, missing, or wrong, and sometimes a stray one. */
const aNearValidEnvelope: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    api_version: field(fc.constant("v3")),
    webhook_version: field(fc.constant("2026-02-03")),
    event_type: field(
      fc.oneof(
        { weight: 10, arbitrary: fc.constantFrom(...OUTCOME_TYPES) },
        fc.constantFrom("message.received", "chat.created"),
        anyText,
      ),
    ),
    event_id: field(anEventId),
    created_at: field(aTimestamp),
    trace_id: field(fc.oneof(fc.constantFrom("linq-1", "linq-2", "linq-3", "linq-4"), fc.uuid(), anyText)),
    partner_id: field(fc.constant("partner-1")),
    data: field(
      fc
        .record({
          chat_id: field(
            fc.oneof({ weight: 5, arbitrary: fc.constant(CHAT) }, fc.constant(CHAT.toUpperCase()), aUuid, notAUuid),
          ),
          new_value: field(fc.oneof(fc.constantFrom(...NAMES, ...ICONS), anyText)),
          old_value: field(fc.oneof(fc.constant(null), anyText)),
          changed_by_handle: field(aChangedBy),
          error_code: field(fc.oneof(fc.constantFrom(4001, 3007), fc.integer(), fc.double())),
          participant: field(
            fc.record(
              {
                handle: field(fc.oneof(fc.constantFrom(...HANDLES), anyText)),
                status: field(fc.constant("removed")),
                left_at: field(aTimestamp),
              },
              { requiredKeys: [] },
            ),
          ),
          handle: field(fc.constantFrom(...HANDLES)),
          updated_at: field(aTimestamp),
          failed_at: field(aTimestamp),
          removed_at: field(aTimestamp),
          stray: fc.option(fc.tuple(anyKey, anyJson), { nil: undefined }),
        })
        .map(({ stray, ...data }) => withStray(data, stray)),
    ),
    stray: fc.option(fc.tuple(anyKey, anyJson), { nil: undefined }),
  })
  .map(({ stray, ...envelope }) => withStray(envelope, stray));

/** The fields that are not undefined, as own properties, and the stray field (`__proto__` included) last. */
function withStray(fields: Record<string, unknown>, stray: [string, unknown] | undefined): Record<string, unknown> {
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  return ownObject(stray === undefined ? entries : [...entries, stray]);
}

/** An outcome event as Linq sends it, for a value or handle the chat's operations may have asked for. */
const aWellFormedOutcome: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    eventId: anEventId,
    traceId: fc.option(fc.constantFrom("linq-1", "linq-2", "linq-3", "linq-4"), { nil: null }),
    name: fc.constantFrom(...NAMES),
    icon: fc.constantFrom(...ICONS),
    handle: fc.constantFrom(...HANDLES),
    changedBy: fc.option(fc.constantFrom(OUR_LINE, A_PERSON, null), { nil: undefined }),
    errorCode: fc.constantFrom(4001, 3007),
    kind: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ eventId, traceId, name, icon, handle, changedBy, errorCode, kind }) => {
    const options = { eventId, traceId, ...(changedBy === undefined ? {} : { changedBy }) };
    switch (kind) {
      case 0:
        return groupNameUpdated(CHAT, name, options);
      case 1:
        return groupIconUpdated(CHAT, icon, options);
      case 2:
        return groupNameUpdateFailed(CHAT, errorCode, options);
      case 3:
        return groupIconUpdateFailed(CHAT, errorCode, options);
      case 4:
        return participantRemoved(CHAT, handle, options);
      default:
        return participantRemovedDeprecated(CHAT, handle, options);
    }
  });

interface Body {
  bytes: Buffer;
  /** Sent base64-encoded, as API Gateway sends a body it does not take for text. */
  base64: boolean;
}

const text = (value: string, base64 = false): Body => ({ bytes: Buffer.from(value, "utf8"), base64 });

/** Any body within the size limit: a near-valid envelope, any JSON, text that is not JSON, or bytes that are not text. */
const aBody: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: aWellFormedOutcome.map((envelope) => text(JSON.stringify(envelope))) },
  {
    weight: 6,
    arbitrary: fc.tuple(aNearValidEnvelope, fc.boolean()).map(([envelope, b64]) => text(JSON.stringify(envelope), b64)),
  },
  {
    weight: 1,
    arbitrary: aNearValidEnvelope.map((envelope) =>
      text(`{"__proto__":{"event_type":"participant.removed"},${JSON.stringify(envelope).slice(1)}`),
    ),
  },
  { weight: 2, arbitrary: anyJson.map((json) => text(JSON.stringify(json))) },
  { weight: 1, arbitrary: anyText.map((value) => text(value)) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes), base64: true })),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      text(
        `{"event_type":"message.received","event_id":"evt-big","data":{"text":"${"x".repeat(MAX_WEBHOOK_BYTES - 100)}"}}`,
      ),
    ),
  },
);

// ---- signatures ----

type Headers = Record<string, string | undefined>;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A delivery id as Linq names them, or any text a header can carry, or a very long one. */
const aDeliveryId = fc.oneof(
  fc
    .string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
      minLength: 27,
      maxLength: 27,
    })
    .map((id) => `msg_${id}`),
  fc.string({ minLength: 1, maxLength: 64 }),
  fc.integer({ min: 129, max: 4000 }).map((n) => "m".repeat(n)),
);

function sign(secret: string, id: string, atSeconds: number, bytes: Buffer): string {
  return new Webhook(secret).sign(id, new Date(atSeconds * 1000), bytes);
}

function legacySignature(secret: string, atSeconds: number | string, bytes: Buffer): string {
  return createHmac("sha256", secret).update(`${atSeconds}.`).update(bytes).digest("hex");
}

/** Random `v1,<base64>` signatures, junk entries and other versions, space-separated as the header lists them. */
const aSignatureList = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `v1,${Buffer.from(bytes).toString("base64")}`),
      fc.constantFrom("v1,", "v1", "v2,abc", ",", "", "v1,==", "v1a,x"),
      fc.string({ maxLength: 50 }),
    ),
    { maxLength: 4 },
  )
  .map((entries) => entries.join(" "));

/**
 * Headers Linq would send for this body: Standard Webhooks signed with a configured secret (either, within the window,
 * maybe among other signatures), or the deprecated scheme (when the standard headers are incomplete).
 */
function genuine(bytes: Buffer): fc.Arbitrary<Headers> {
  return fc.oneof(
    fc
      .record({
        id: aDeliveryId,
        skew: fc.integer({ min: -(TOLERANCE_S - 60), max: TOLERANCE_S - 60 }),
        secret: fc.constantFrom(SECRET, ROTATED_SECRET),
        before: aSignatureList,
        after: aSignatureList,
      })
      .map(({ id, skew, secret, before, after }) => {
        const at = nowSeconds() + skew;
        const signature = [before, sign(secret, id, at, bytes), after].filter((part) => part !== "").join(" ");
        return { "webhook-id": id, "webhook-timestamp": String(at), "webhook-signature": signature };
      }),
    fc
      .record({
        skew: fc.integer({ min: -(TOLERANCE_S - 60), max: TOLERANCE_S - 60 }),
        pad: fc.constantFrom("", " ", "\t"),
        partial: fc.subarray(["webhook-id", "webhook-timestamp", "webhook-signature"], { maxLength: 2 }),
      })
      .map(({ skew, pad, partial }) => {
        const at = nowSeconds() + skew;
        const standard = Object.fromEntries(partial.map((name) => [name, "present but incomplete"]));
        return {
          ...standard,
          "x-webhook-timestamp": String(at),
          "x-webhook-signature": `${pad}${legacySignature(LEGACY_SECRET, at, bytes)}${pad}`,
        };
      }),
  );
}

/** An arbitrary that computes its one value when drawn, not when built: signatures over large bodies are not free. */
function lazily<T>(make: () => T): fc.Arbitrary<T> {
  return fc.constant(null).map(make);
}

/** Headers that must not pass for this body: missing, malformed, stale or early, or signed by anyone else or for else. */
function forged(bytes: Buffer): fc.Arbitrary<Headers> {
  const signedAt = (skew: number, secret = SECRET, id = "msg_1", body = bytes): Headers => {
    const at = nowSeconds() + skew;
    return { "webhook-id": id, "webhook-timestamp": String(at), "webhook-signature": sign(secret, id, at, body) };
  };
  const legacyAt = (at: number | string, secret = LEGACY_SECRET): Headers => ({
    "x-webhook-timestamp": String(at),
    "x-webhook-signature": legacySignature(secret, at, bytes),
  });
  const old = fc.integer({ min: TOLERANCE_S + 5, max: 10 ** 9 });
  return fc.oneof(
    fc.constant({}),
    // One of the three standard headers missing, and no deprecated ones.
    fc
      .constantFrom("webhook-id", "webhook-timestamp", "webhook-signature")
      .map((missing) => ({ ...signedAt(0), [missing]: undefined })),
    // A timestamp the window cannot read.
    fc
      .constantFrom("", "abc", "1700000000abc", "-1", "1e9", " 1700000000", "1234567890123", "0x10")
      .map((timestamp) => ({ ...signedAt(0), "webhook-timestamp": timestamp })),
    // Genuinely signed, but long ago or in the future.
    old.map((age) => signedAt(-age)),
    old.map((ahead) => signedAt(ahead)),
    // Signed by a secret not configured, for another delivery id, or over other bytes.
    lazily(() => signedAt(0, STRANGER_SECRET)),
    lazily(() => ({ ...signedAt(0), "webhook-id": "msg_2" })),
    lazily(() => signedAt(0, SECRET, "msg_1", Buffer.concat([bytes, Buffer.from(" ")]))),
    // A list of signatures none of which is right.
    aSignatureList.map((list) => ({ ...signedAt(0), "webhook-signature": list })),
    // The deprecated scheme: a stranger's secret, stale, malformed, or in capitals.
    lazily(() => legacyAt(nowSeconds(), "another secret")),
    old.map((age) => legacyAt(nowSeconds() - age)),
    lazily(() => legacyAt("soon")),
    lazily(() => {
      const headers = legacyAt(nowSeconds());
      return { ...headers, "x-webhook-signature": headers["x-webhook-signature"]?.toUpperCase() };
    }),
    // A genuine deprecated signature does not rescue a forged standard one: the standard headers are read first.
    lazily(() => ({ ...signedAt(0, STRANGER_SECRET), ...legacyAt(nowSeconds()) })),
  );
}

function deliveryEvent(body: Body, headers: Headers, other: Record<string, string> = {}) {
  return apiEvent({
    routeKey: ROUTE,
    headers: { ...other, "content-type": "application/json", ...headers },
    body: body.base64 ? body.bytes.toString("base64") : body.bytes.toString("utf8"),
    base64: body.base64,
  });
}

const RESULTS = ["settled", "kept", "duplicate", "ignored"];

// ---- the properties ----

describe(ROUTE, () => {
  it(
    "answers genuinely signed bodies 200 whatever they hold, one after another; each again is a duplicate, writing nothing",
    async () => {
      const aDelivery = aBody.chain((body) => genuine(body.bytes).map((headers) => ({ body, headers })));
      await fc.assert(
        fc.asyncProperty(aHistory, fc.array(aDelivery, { minLength: 1, maxLength: 3 }), async (history, deliveries) => {
          const world = await worldWith(history);
          const handler = webhookHandler(world);
          for (const { body, headers } of deliveries) {
            const { status, body: answer } = expectLinqAnswer(await handler(deliveryEvent(body, headers), context()));
            expect(status).toBe(200);
            expect(answer).toStrictEqual({ received: true, result: expect.toBeOneOf(RESULTS) });

            const writes = world.store.counts.writes;
            const again = expectLinqAnswer(await handler(deliveryEvent(body, headers), context()));
            expect(again.status).toBe(200);
            expect(again.body).toStrictEqual({ received: true, result: expect.toBeOneOf(["duplicate", "ignored"]) });
            expect(world.store.counts.writes).toBe(writes);
          }
          expect(world.linq.calls).toEqual([]);
        }),
        fuzzOptions(),
      );
    },
    timeLimit(40),
  );

  it(
    "refuses a missing or forged signature with 401 in Linq's envelope, and writes nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          aHistory,
          aBody.chain((body) => forged(body.bytes).map((headers) => ({ body, headers }))),
          async (history, { body, headers }) => {
            const world = await worldWith(history);
            const writes = world.store.counts.writes;
            const { status } = expectLinqAnswer(await webhookHandler(world)(deliveryEvent(body, headers), context()));
            expect(status).toBe(401);
            expect(world.store.counts.writes).toBe(writes);
          },
        ),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );

  it(
    "refuses a body over the limit with 413, signed or not, and writes nothing",
    async () => {
      const big = fc
        .tuple(fc.integer({ min: 1, max: 4096 }), fc.boolean())
        .map(([over, base64]) => ({ bytes: Buffer.alloc(MAX_WEBHOOK_BYTES + over, "{"), base64 }));
      await fc.assert(
        fc.asyncProperty(
          big.chain((body) => fc.oneof(genuine(body.bytes), forged(body.bytes)).map((headers) => ({ body, headers }))),
          async ({ body, headers }) => {
            const world = makeWorld();
            const { status } = expectLinqAnswer(await webhookHandler(world)(deliveryEvent(body, headers), context()));
            expect(status).toBe(413);
            expect(world.store.counts.writes).toBe(0);
          },
        ),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );

  it(
    "answers any headers and any body below 500 in one of its shapes; a refusal writes nothing",
    async () => {
      const header = fc.option(fc.oneof(anyText, fc.integer().map(String), aSignatureList), { nil: undefined });
      const anyHeaders = fc.record({
        "webhook-id": header,
        "webhook-timestamp": fc.option(fc.oneof(header, fc.integer({ min: 0, max: 2 * nowSeconds() }).map(String)), {
          nil: undefined,
        }),
        "webhook-signature": header,
        "x-webhook-timestamp": header,
        "x-webhook-signature": header,
      });
      await fc.assert(
        fc.asyncProperty(aHistory, aBody, anyHeaders, async (history, body, headers) => {
          const world = await worldWith(history);
          const writes = world.store.counts.writes;
          const { status, body: answer } = expectLinqAnswer(
            await webhookHandler(world)(deliveryEvent(body, headers), context()),
          );
          if (status >= 400) expect(world.store.counts.writes).toBe(writes);
          else expect(answer).toStrictEqual({ received: true, result: expect.toBeOneOf(RESULTS) });
        }),
        fuzzOptions(),
      );
    },
    timeLimit(15),
  );
});
