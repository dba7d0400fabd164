/**
 * The three read routes, fuzzed: path (chat and trace ids), headers, query (`limit`, `cursor`) and a body they must
 * ignore. The handlers are built as functions/get-chat-operation.ts, get-operation.ts and list-chat-operations.ts build
 * them, around the in-memory store of a world with operations in two chats instead of DynamoDB.
 *
 * - Any request: never a 5xx; JSON, a success body or exactly Linq's envelope; nothing written.
 * - Valid requests: a record is answered exactly when it exists (else 404), and it is the one asked for; a page holds
 *   at most `limit` records of the chat, newest first, and its cursor reads on. An invalid part is refused.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { linkedSecretsEnvironment, readServiceTokens } from "../../src/config.ts";
import type { OperationRecord } from "../../src/domain/operation.ts";
import { getOperation, getOperationByTraceId, listOperations } from "../../src/domain/operation-queries.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { parseChatId, parseListLimit, parseTraceId } from "../../src/domain/validation.ts";
import { httpFunction, MAX_BODY_BYTES } from "../../src/http/http-function.ts";
import { groupNameUpdated } from "../fakes/linq-webhooks.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";
import {
  aChatId,
  anAuthorization,
  anyJson,
  anyText,
  aTraceId,
  aUuid,
  invalid,
  otherHeaders,
  otherQuery,
  SERVICE_TOKENS,
  valid,
  validOrNot,
  type Judged,
} from "./arbitraries.ts";
import { apiEvent, context, expectLinqAnswer, quietLogs } from "./http.ts";
import { fuzzOptions, timeLimit } from "./settings.ts";

Object.assign(process.env, linkedSecretsEnvironment({ ServiceTokens: SERVICE_TOKENS.join(",") }));

quietLogs();

const ONE = "GET /v3/chats/{chatId}/operations/{traceId}";
const BY_TRACE = "GET /v3/operations/{traceId}";
const LIST = "GET /v3/chats/{chatId}/operations";

/** The read functions' few lines, around the world's store. */
function readRoutes(world: World) {
  const store = world.store;
  const options = { tokens: readServiceTokens(), jsonBody: false };
  return {
    [ONE]: httpFunction(options, async (event) => {
      const chatId = parseChatId(event.pathParameters?.chatId);
      const traceId = parseTraceId(event.pathParameters?.traceId);
      return { status: 200, body: await getOperation(store, chatId, traceId) };
    }),
    [BY_TRACE]: httpFunction(options, async (event) => {
      const traceId = parseTraceId(event.pathParameters?.traceId);
      return { status: 200, body: await getOperationByTraceId(store, traceId) };
    }),
    [LIST]: httpFunction(options, async (event) => {
      const chatId = parseChatId(event.pathParameters?.chatId);
      const limit = parseListLimit(event.queryStringParameters?.limit);
      const cursor = event.queryStringParameters?.cursor;
      return { status: 200, body: await listOperations(store, chatId, { limit, ...(cursor ? { cursor } : {}) }) };
    }),
  };
}

let world: World;
let routes: ReturnType<typeof readRoutes>;
let traceIds: string[];
/** Cursors the list handed out, by chat. */
const cursors: Record<string, string[]> = { [CHAT]: [], [OTHER_CHAT]: [] };

/** Seven operations in one chat (updates and removals, some settled), three in another. */
beforeAll(async () => {
  world = makeWorld();
  for (let i = 0; i < 10; i++) {
    const chatId = i < 7 ? CHAT : OTHER_CHAT;
    world.clock.advance(1000);
    if (i % 3 === 2) {
      await removeParticipant(world, { chatId, request: { handle: `+1555000000${i}` }, source: "http" });
    } else {
      await updateChat(world, { chatId, request: { display_name: `Name ${i}` }, source: "http" });
      if (i % 2 === 0) await world.deliver(groupNameUpdated(chatId, `Name ${i}`));
    }
  }
  traceIds = world.store.all().map((record) => record.trace_id);
  for (const chatId of [CHAT, OTHER_CHAT]) {
    for (const limit of [1, 2, 3]) {
      let cursor: string | null = null;
      do {
        const page: { next_cursor: string | null } = await listOperations(world.store, chatId, {
          limit,
          ...(cursor === null ? {} : { cursor }),
        });
        cursor = page.next_cursor;
        if (cursor !== null) cursors[chatId]?.push(cursor);
      } while (cursor !== null);
    }
  }
  routes = readRoutes(world);
});

/** Reads write nothing: the store's count of writes stays where the seeding left it. */
async function read(routeKey: keyof ReturnType<typeof readRoutes>, event: ReturnType<typeof apiEvent>) {
  const writes = world.store.counts.writes;
  const answer = expectLinqAnswer(await routes[routeKey](event, context()));
  expect(world.store.counts.writes).toBe(writes);
  expect(world.linq.calls.filter((call) => call.op === "getChat")).toEqual([]);
  return answer;
}

// ---- parts ----

/** One of the chats with operations, or any chat id valid or not. */
const aChatWithOrWithout = () => fc.oneof(valid(fc.constantFrom(CHAT, OTHER_CHAT, CHAT.toUpperCase())), aChatId);

/** A trace id that exists, or any trace id valid or not. */
const aTraceKnownOrNot = () => fc.oneof(valid(fc.constantFrom(...traceIds)), aTraceId);

/** A body the read routes ignore, or one over the size limit (refused before anything reads it). */
const anIgnoredBody: fc.Arbitrary<Judged<string | undefined>> = fc.oneof(
  {
    weight: 4,
    arbitrary: valid(
      fc.option(
        fc.oneof(
          anyText,
          anyJson.map((json) => JSON.stringify(json)),
        ),
        { nil: undefined },
      ),
    ),
  },
  { weight: 1, arbitrary: invalid(fc.constant("x".repeat(MAX_BODY_BYTES + 1))) },
);

/** `limit`: absent or 1 to 100 in digits; or anything else. */
const aLimit: fc.Arbitrary<Judged<string | undefined>> = validOrNot(
  fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: 1, max: 100 }).map(String),
    fc.integer({ min: 1, max: 100 }).map((n) => `00${n}`),
  ),
  fc.oneof(
    fc.constantFrom("", "0", "101", "-1", "1.5", "1e2", " 5", "5 ", "+5", "0x10", "٣", "Infinity", "NaN", "1,2"),
    fc.bigInt({ min: 101n, max: 10n ** 30n }).map(String),
    anyText.filter((text) => !/^\d+$/.test(text)),
  ),
);

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * `cursor`: absent (or empty), or one the list handed out for this chat (valid); one handed out for the other chat, or
 * one that cannot be a cursor at all (invalid). A well-formed one nobody handed out is judged by the wild property.
 */
const aCursorFor = (chatId: string | undefined): fc.Arbitrary<Judged<string | undefined>> => {
  const chat = chatId?.toLowerCase();
  const ours = chat === CHAT || chat === OTHER_CHAT ? cursors[chat] : [];
  const theirs = chat === CHAT ? cursors[OTHER_CHAT] : cursors[CHAT];
  const goods: fc.Arbitrary<string | undefined>[] = [fc.constant(undefined), fc.constant("")];
  if (ours !== undefined && ours.length > 0) goods.push(fc.constantFrom(...ours));
  return validOrNot(
    fc.oneof(...goods),
    fc.oneof(
      fc.constantFrom(...(theirs ?? [])),
      fc.constantFrom("garbage", "!!!", "e30", "W10", "bnVsbA", "%", "=="),
      fc.oneof(fc.integer(), fc.constant(null), fc.dictionary(anyText, anyText), fc.string()).map(base64url),
      fc
        .array(fc.string({ minLength: 1 }), { maxLength: 5 })
        .filter((parts) => parts.length !== 3)
        .map(base64url),
      fc
        .tuple(fc.constant(chatId ?? CHAT), fc.oneof(fc.integer(), fc.constant(""), fc.constant(null)), fc.string())
        .map(base64url),
      fc.constant(base64url([chatId ?? CHAT, "x".repeat(513), "y"])),
      fc.constant("A".repeat(4 * 512 * 3 + 1)),
    ),
  );
};

/** A cursor nobody handed out: made up from the right parts, or any text. */
const aForgedCursor: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom(CHAT, OTHER_CHAT), aUuid), anyText, anyText).map(base64url),
  fc.array(anyJson, { maxLength: 4 }).map(base64url),
  anyText,
);

const PUBLIC_KEYS = ["id", "version", "calling_since", "answer"];

function expectPublicRecord(record: OperationRecord, chatId: string | undefined, traceId: string): void {
  expect(record.trace_id).toBe(traceId);
  if (chatId !== undefined) expect(record.chat_id).toBe(chatId.toLowerCase());
  for (const key of PUBLIC_KEYS) expect(record).not.toHaveProperty(key);
}

function allValid(parts: Judged<unknown>[]): boolean {
  return parts.every((part) => part.valid);
}

// ---- the properties ----

describe(ONE, () => {
  it(
    "answers a record exactly when it exists in that chat, 404 otherwise; refuses any invalid part; writes nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            authorization: anAuthorization,
            chatId: aChatWithOrWithout(),
            traceId: aTraceKnownOrNot(),
            body: anIgnoredBody,
            other: otherHeaders,
            query: otherQuery,
          }),
          async (parts) => {
            const event = apiEvent({
              routeKey: ONE,
              headers: { ...parts.other, authorization: parts.authorization.value },
              pathParameters: { chatId: parts.chatId.value, traceId: parts.traceId.value },
              query: parts.query,
              body: parts.body.value,
            });
            const { status, body } = await read(ONE, event);
            if (!parts.authorization.valid) expect(status).toBe(401);
            else if (!allValid([parts.chatId, parts.traceId, parts.body])) expect(status).toBeGreaterThanOrEqual(400);
            else {
              const chatId = (parts.chatId.value as string).toLowerCase();
              const traceId = parts.traceId.value as string;
              const exists = (await world.store.byChatAndTraceId(chatId, traceId)) !== undefined;
              expect(status).toBe(exists ? 200 : 404);
              if (exists) expectPublicRecord(body as OperationRecord, chatId, traceId);
            }
          },
        ),
        fuzzOptions(),
      );
    },
    timeLimit(10),
  );
});

describe(BY_TRACE, () => {
  it(
    "answers a record exactly when it exists, 404 otherwise; refuses any invalid part; writes nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            authorization: anAuthorization,
            traceId: aTraceKnownOrNot(),
            body: anIgnoredBody,
            other: otherHeaders,
            query: otherQuery,
            strayChatId: fc.option(fc.oneof(aUuid, anyText), { nil: undefined }),
          }),
          async (parts) => {
            const event = apiEvent({
              routeKey: BY_TRACE,
              headers: { ...parts.other, authorization: parts.authorization.value },
              pathParameters: { traceId: parts.traceId.value, chatId: parts.strayChatId },
              query: parts.query,
              body: parts.body.value,
            });
            const { status, body } = await read(BY_TRACE, event);
            if (!parts.authorization.valid) expect(status).toBe(401);
            else if (!allValid([parts.traceId, parts.body])) expect(status).toBeGreaterThanOrEqual(400);
            else {
              const traceId = parts.traceId.value as string;
              const exists = (await world.store.byTraceId(traceId)) !== undefined;
              expect(status).toBe(exists ? 200 : 404);
              if (exists) expectPublicRecord(body as OperationRecord, undefined, traceId);
            }
          },
        ),
        fuzzOptions(),
      );
    },
    timeLimit(10),
  );
});

describe(LIST, () => {
  type Page = { data: OperationRecord[]; next_cursor: string | null };

  /** A page as it must be: at most `limit` records of this chat, newest first, and a cursor that reads on. */
  async function expectPage(page: Page, chatId: string, limit: number, parts: Record<string, unknown>) {
    expect(Object.keys(page).sort()).toEqual(["data", "next_cursor"]);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    for (const record of page.data) expect(record.chat_id).toBe(chatId);
    const created = page.data.map((record) => record.created_at);
    expect(created).toEqual([...created].sort().reverse());
    if (page.next_cursor === null) return;
    expect(page.next_cursor).toBeTypeOf("string");
    const next = apiEvent({
      routeKey: LIST,
      headers: { authorization: `Bearer ${SERVICE_TOKENS[0]}` },
      pathParameters: { chatId },
      query: { limit: String(limit), cursor: page.next_cursor },
    });
    const { status, body } = await read(LIST, next);
    expect(status, JSON.stringify(parts)).toBe(200);
    const older = (body as Page).data.map((record) => record.created_at);
    for (const at of older) expect(at < (created.at(-1) as string)).toBe(true);
  }

  const aListRequest = (cursors: (chatId: string | undefined) => fc.Arbitrary<Judged<string | undefined>>) =>
    fc
      .record({
        authorization: anAuthorization,
        chatId: aChatWithOrWithout(),
        limit: aLimit,
        body: anIgnoredBody,
        other: otherHeaders,
        query: otherQuery,
      })
      .chain((parts) => cursors(parts.chatId.value).map((cursor) => ({ ...parts, cursor })));

  function listEvent(parts: {
    authorization: Judged<string | undefined>;
    chatId: Judged<string | undefined>;
    limit: Judged<string | undefined>;
    cursor: Judged<string | undefined>;
    body: Judged<string | undefined>;
    other: Record<string, string>;
    query: Record<string, string> | undefined;
  }) {
    return apiEvent({
      routeKey: LIST,
      headers: { ...parts.other, authorization: parts.authorization.value },
      pathParameters: { chatId: parts.chatId.value },
      query: { ...parts.query, limit: parts.limit.value, cursor: parts.cursor.value },
      body: parts.body.value,
    });
  }

  it(
    "answers a valid request with a page of the chat that reads on; refuses any invalid part; writes nothing",
    async () => {
      await fc.assert(
        fc.asyncProperty(aListRequest(aCursorFor), async (parts) => {
          const { status, body } = await read(LIST, listEvent(parts));
          if (!parts.authorization.valid) expect(status).toBe(401);
          else if (!allValid([parts.chatId, parts.limit, parts.cursor, parts.body])) {
            expect(status).toBeGreaterThanOrEqual(400);
          } else {
            expect(status).toBe(200);
            const limit = parts.limit.value === undefined ? 20 : Number(parts.limit.value);
            await expectPage(body as Page, (parts.chatId.value as string).toLowerCase(), limit, parts);
          }
        }),
        fuzzOptions(),
      );
    },
    timeLimit(10),
  );

  it(
    "answers a cursor nobody handed out below 500 in Linq's shape, and writes nothing",
    async () => {
      const forged = (): fc.Arbitrary<Judged<string | undefined>> =>
        aForgedCursor.map((cursor) => ({ value: cursor, valid: true }));
      await fc.assert(
        fc.asyncProperty(aListRequest(forged), async (parts) => {
          const { status, body } = await read(LIST, listEvent(parts));
          if (status === 200) {
            const limit = parts.limit.value === undefined ? 20 : Number(parts.limit.value);
            await expectPage(body as Page, (parts.chatId.value as string).toLowerCase(), limit, parts);
          }
        }),
        fuzzOptions(),
      );
    },
    timeLimit(10),
  );
});
