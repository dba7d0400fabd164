/**
 * Linq's answers as the service reads them, fuzzed: `LinqClient` (the official SDK under our retry policy) against a
 * local server that answers each attempt as scripted: any status, `x-trace-id`, `retry-after`, `x-should-retry` and
 * content type, bodies of the right shape, the wrong shape, or not JSON; a dropped connection; an answer too late.
 *
 * - The client resolves with a validated answer (after a 2xx) or throws `LinqRefusal` (with the status Linq answered)
 *   or `LinqUnavailable`, nothing else; within its deadline; never more attempts than its policy allows; every try
 *   counted.
 * - Through an operation's route, whatever Linq answers, the caller gets a success body or Linq's envelope, and a 5xx
 *   only for Linq's own failure, never for one of ours (nothing logged as an error).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinqClient, type RetryPolicy } from "../../src/adapters/linq-client.ts";
import { LinqRefusal, LinqUnavailable } from "../../src/domain/errors.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { parseChatUpdate, parseParticipantRemove } from "../../src/domain/validation.ts";
import { operationFunction } from "../../src/http/operation-function.ts";
import { FakeMetrics } from "../fakes/metrics.ts";
import { CHAT, makeWorld } from "../fakes/world.ts";
import { anyJson, anyText, SERVICE_TOKENS } from "./arbitraries.ts";
import { apiEvent, context, expectLinqAnswer, logged, quietLogs, type Envelope } from "./http.ts";
import { fuzzOptions, timeLimit } from "./settings.ts";
import { linkedSecretsEnvironment } from "../../src/config.ts";

Object.assign(process.env, linkedSecretsEnvironment({ ServiceTokens: SERVICE_TOKENS.join(",") }));

quietLogs();

/** Tiny, so a case takes milliseconds: three attempts, waits counted rather than slept, a short attempt timeout. */
const POLICY: RetryPolicy = {
  deadlineMs: 2_000,
  attemptTimeoutMs: 150,
  maxAttempts: 3,
  baseDelayMs: 20,
  maxDelayMs: 80,
};
/** How late a "too late" answer comes: past the attempt timeout. */
const LATE_MS = POLICY.attemptTimeoutMs + 50;
/** Timers on a busy 2-core machine. */
const SLACK_MS = 1_000;

// ---- the scripted Linq ----

interface Scripted {
  kind: "answer" | "drop" | "late";
  status: number;
  headers: Record<string, string>;
  body: string;
}

let server: Server;
let baseURL: string;
let script: Scripted[] = [];
let served: Scripted[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const next = script.shift() ?? { kind: "answer", status: 503, headers: {}, body: "script exhausted" };
      served.push(next);
      if (next.kind === "drop") {
        request.socket.destroy();
        return;
      }
      const answer = () => {
        if (response.destroyed) return;
        response.writeHead(next.status, next.headers);
        response.end(next.body);
      };
      if (next.kind === "late") setTimeout(answer, LATE_MS);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client on the policy whose waits advance its own clock instead of the test's. */
function client(): { linq: LinqClient; elapsed: () => number; waits: number[] } {
  const started = Date.now();
  let slept = 0;
  const waits: number[] = [];
  const linq = new LinqClient({
    apiKey: "fuzz-key",
    baseURL,
    policy: POLICY,
    metrics: new FakeMetrics(),
    now: () => Date.now() + slept,
    sleep: async (ms) => {
      waits.push(ms);
      slept += ms;
    },
  });
  return { linq, elapsed: () => Date.now() + slept - started, waits };
}

// ---- Linq's answers ----

const TRACE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$|^[+-]\d{6}-/;

/** Text a header value can carry (printable ASCII). */
const headerText = fc.string({ maxLength: 40 });

const aValidTraceId = fc.string({ unit: fc.constantFrom(...TRACE_CHARS), minLength: 1, maxLength: 128 });

/** Any final status; not 421, which fetch (undici) retries by itself, so one attempt would read two scripted answers. */
const aStatus = fc.oneof(
  fc.constantFrom(200, 202, 204),
  fc.constantFrom(400, 401, 403, 404, 408, 409, 422, 429),
  fc.constantFrom(500, 502, 503, 504),
  fc.integer({ min: 200, max: 599 }).filter((status) => status !== 421),
);

const aHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      "content-type": fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
        fc.constantFrom("application/problem+json", "text/plain", "text/html", "application/octet-stream", ""),
      ),
      "x-trace-id": fc.oneof(
        aValidTraceId,
        fc.constantFrom("../../etc", "a b", "t\u00e9"),
        headerText,
        fc.string({ minLength: 129, maxLength: 300 }),
      ),
      "retry-after": fc.oneof(
        fc.constantFrom("0", "1", "0.01", "-1", "abc", "1e9", "Infinity", "NaN", ""),
        fc.integer({ min: 0, max: 5 }).map(String),
        fc
          .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
          .map((date) => date.toUTCString()),
      ),
      "x-should-retry": fc.constantFrom("true", "false", "TRUE", "1", ""),
    },
    { requiredKeys: [] },
  )
  .map(
    (headers) =>
      Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<string, string>,
  );

/** A field as Linq sends it (mostly), or absent, or of another type. */
function field<T>(right: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: right },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: anyJson },
  );
}

const aTimestamp = fc.oneof(
  fc
    .date({ min: new Date("2020-01-01"), max: new Date("2030-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom("yesterday", "", "2026-02-30T25:00:00Z", "+275760-09-13T00:00:00.000Z"),
);

const json = (shape: fc.Arbitrary<Record<string, unknown>>) => shape.map((value) => JSON.stringify(value));

/** Bodies of every answer Linq gives, near their right shapes, and bodies of no shape at all. */
const aBody: fc.Arbitrary<string> = fc.oneof(
  json(
    fc.record(
      { chat_id: field(fc.constant(CHAT)), status: field(fc.constantFrom("pending", "accepted")) },
      { requiredKeys: [] },
    ),
  ),
  json(
    fc.record(
      {
        message: field(fc.constant("Participant removal queued")),
        status: field(fc.constant("accepted")),
        trace_id: field(
          fc.oneof(aValidTraceId, fc.constantFrom("../../etc", ""), fc.string({ minLength: 129, maxLength: 200 })),
        ),
      },
      { requiredKeys: [] },
    ),
  ),
  json(
    fc.record(
      {
        id: field(fc.constant(CHAT)),
        display_name: field(fc.oneof(fc.constant(null), anyText)),
        group_chat_icon: field(fc.oneof(fc.constant(null), fc.webUrl())),
        updated_at: field(aTimestamp),
        handles: field(
          fc.array(
            fc.oneof(
              fc.record(
                {
                  handle: field(fc.constantFrom("+15550000002", "carol@example.com")),
                  status: field(fc.constantFrom("active", "left", "removed", "muted")),
                  joined_at: field(aTimestamp),
                },
                { requiredKeys: [] },
              ),
              anyJson,
            ),
            { maxLength: 3 },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
  ),
  json(
    fc.record(
      {
        error: field(
          fc.record(
            {
              status: field(fc.integer()),
              code: field(fc.oneof(fc.constantFrom(1002, 1006, 2001, 2009, 2013, 3006), fc.integer())),
              message: field(anyText),
            },
            { requiredKeys: [] },
          ),
        ),
        success: field(fc.constant(false)),
      },
      { requiredKeys: [] },
    ),
  ),
  anyJson.map((value) => JSON.stringify(value)),
  anyText,
  fc.constant(""),
);

const anAnswer: fc.Arbitrary<Scripted> = fc.record({
  // A late answer costs an attempt timeout of real time: rare, so a full run stays short.
  kind: fc.oneof(
    { weight: 100, arbitrary: fc.constant("answer" as const) },
    { weight: 3, arbitrary: fc.constant("drop" as const) },
    { weight: 1, arbitrary: fc.constant("late" as const) },
  ),
  status: aStatus,
  headers: aHeaders,
  body: aBody,
});

/** What Linq answers each attempt, as many as the policy could make. */
const aScript = fc.array(anAnswer, { minLength: POLICY.maxAttempts, maxLength: POLICY.maxAttempts });

// ---- the properties ----

const ops = ["updateChat", "removeParticipant", "getChat"] as const;

function call(linq: LinqClient, op: (typeof ops)[number]) {
  if (op === "updateChat") return linq.updateChat(CHAT, { display_name: "Team" });
  if (op === "removeParticipant") return linq.removeParticipant(CHAT, "+15550000002");
  return linq.getChat(CHAT);
}

/**
 * Every attempt counted: one try per request Linq saw, and one for an attempt that timed out before its request even
 * reached the server (a loaded machine), never more than the policy allows.
 */
function expectTries(tries: unknown[]): void {
  expect(tries.length).toBeGreaterThanOrEqual(served.length);
  expect(tries.length).toBeLessThanOrEqual(POLICY.maxAttempts);
}

function expectTraceId(traceId: unknown): void {
  if (traceId !== undefined) expect(traceId).toMatch(TRACE_ID);
}

/** The answer a resolved call gives: every field validated, nothing unchecked from Linq. */
function expectValidated(op: (typeof ops)[number], result: unknown): void {
  if (op === "getChat") {
    const chat = result as Record<string, unknown>;
    expect(Object.keys(chat).sort()).toEqual(["display_name", "group_chat_icon", "handles", "id", "updated_at"]);
    expect(chat.id).toBeTypeOf("string");
    for (const name of ["display_name", "group_chat_icon"])
      expect(chat[name] === null || typeof chat[name] === "string").toBe(true);
    expect(chat.updated_at === null || ISO.test(chat.updated_at as string)).toBe(true);
    for (const handle of chat.handles as Record<string, unknown>[]) {
      expect(handle.handle).toBeTypeOf("string");
      expect([null, "active", "left", "removed"]).toContain(handle.status);
      expect(handle.joined_at === null || ISO.test(handle.joined_at as string)).toBe(true);
    }
    return;
  }
  const answer = result as { body: Record<string, unknown>; traceId?: unknown; tries: { fate: string }[] };
  expectTraceId(answer.traceId);
  expect(answer.tries.at(-1)?.fate).toBe("accepted");
  if (op === "updateChat") {
    expect(Object.keys(answer.body).sort()).toEqual(["chat_id", "status"]);
    expect(answer.body.chat_id).toBeTypeOf("string");
    expect(answer.body.status).toBeTypeOf("string");
  } else {
    expect(["message", "status", "trace_id"]).toEqual(expect.arrayContaining(Object.keys(answer.body)));
    expect(answer.body.message).toBeTypeOf("string");
    expect(answer.body.status).toBeTypeOf("string");
    expectTraceId(answer.body.trace_id);
  }
}

describe("LinqClient", () => {
  it(
    "resolves validated after a 2xx, or throws LinqRefusal or LinqUnavailable; within its deadline and attempts",
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ops), aScript, async (op, answers) => {
          script = structuredClone(answers);
          served = [];
          const { linq, elapsed, waits } = client();
          let outcome: { result: unknown } | { error: unknown };
          try {
            outcome = { result: await call(linq, op) };
          } catch (error) {
            outcome = { error };
          }
          expect(served.length).toBeGreaterThanOrEqual(1);
          expect(served.length).toBeLessThanOrEqual(POLICY.maxAttempts);
          expect(elapsed()).toBeLessThanOrEqual(POLICY.deadlineMs + SLACK_MS);
          for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(0);
          const last = served.at(-1) as Scripted;

          if ("result" in outcome) {
            expect(last.kind).toBe("answer");
            expect(last.status).toBeGreaterThanOrEqual(200);
            expect(last.status).toBeLessThan(300);
            expectValidated(op, outcome.result);
            if (op !== "getChat") expectTries((outcome.result as { tries: unknown[] }).tries);
            return;
          }
          const error = outcome.error;
          if (error instanceof LinqRefusal) {
            expect(last.kind).toBe("answer");
            expect(error.status).toBe(last.status);
            expect(error.status < 200 || error.status >= 300).toBe(true);
            expect(Number.isInteger(error.code)).toBe(true);
            expect(error.message.length).toBeGreaterThan(0);
            expectTraceId(error.traceId);
            expectTries(error.tries);
          } else if (error instanceof LinqUnavailable) {
            expect([502, 504]).toContain(error.status);
            expect(error.code).toBe(3006);
            expectTraceId(error.traceId);
            if (op !== "getChat") expect(error.tries.length).toBeLessThanOrEqual(served.length);
          } else {
            expect.fail(
              `neither LinqRefusal nor LinqUnavailable: ${error instanceof Error ? error.stack : String(error)}`,
            );
          }
        }),
        fuzzOptions(),
      );
    },
    timeLimit(40),
  );
});

describe("an operation's route over LinqClient", () => {
  const routes = {
    update: {
      routeKey: "PUT /v3/chats/{chatId}",
      body: { display_name: "Team" },
      parse: parseChatUpdate,
      perform: updateChat,
    },
    removal: {
      routeKey: "DELETE /v3/chats/{chatId}/participants",
      body: { handle: "+15550000002" },
      parse: parseParticipantRemove,
      perform: removeParticipant,
    },
  } as const;

  it(
    "answers a success body or Linq's envelope whatever Linq answers; a 5xx only for Linq's failure, never one of ours",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("update", "removal"),
          aScript,
          fc.option(fc.uuid(), { nil: undefined }),
          async (name, answers, idempotencyKey) => {
            delete logged.error;
            script = structuredClone(answers);
            served = [];
            const route = routes[name];
            const world = makeWorld();
            const deps = { ...world, linq: client().linq };
            const handler =
              name === "update"
                ? operationFunction(deps, routes.update.parse, routes.update.perform)
                : operationFunction(deps, routes.removal.parse, routes.removal.perform);
            const event = apiEvent({
              routeKey: route.routeKey,
              headers: {
                authorization: `Bearer ${SERVICE_TOKENS[0]}`,
                "content-type": "application/json",
                "idempotency-key": idempotencyKey,
              },
              pathParameters: { chatId: CHAT },
              body: JSON.stringify(route.body),
            });
            const result = await handler(event, context());
            expect(logged.error, "the service logged an error of its own").toBeUndefined();
            // A 5xx passes on Linq's failure in the envelope: Linq unavailable (502/504, 3006), or a 5xx of Linq's own it
            // said not to retry; never the service's own "Internal server error".
            const { status, body } = expectLinqAnswer(result, { linqFailed: true });
            if (status >= 500) {
              const { error } = body as Envelope;
              const unavailable = ["Linq is unavailable", "Linq did not answer in time"].includes(error.message);
              const passedOn = served.some((answer) => answer.kind === "answer" && answer.status === status);
              expect(unavailable || passedOn, JSON.stringify(body)).toBe(true);
            }
            // The operation is recorded whatever Linq said: kept for the reconciler, or failed by Linq's refusal.
            expect(world.store.all()).toHaveLength(1);
            expect(served.length).toBeLessThanOrEqual(POLICY.maxAttempts);
          },
        ),
        fuzzOptions(),
      );
    },
    timeLimit(40),
  );
});
