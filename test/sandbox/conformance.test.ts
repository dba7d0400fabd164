import { randomUUID } from "node:crypto";
import LinqAPIV3, {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  RateLimitError,
} from "@linqapp/sdk";
import { describe, expect, it } from "vitest";
import type { SandboxOptions } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, sandboxForTest } from "./helpers.ts";

/** The sandbox driven through the official client, as the service will drive Linq. */

const hello = { parts: [{ type: "text" as const, value: "hello" }] };

/** The Linq error the SDK threw: its class, and the envelope at `err.error`. */
async function linqError(promise: Promise<unknown>): Promise<{
  error: APIError;
  envelope: { error: { status: number; code: number; message: string; retry_after?: number }; success: boolean };
}> {
  const error = await promise.then(
    () => expect.fail("expected the call to fail"),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(APIError);
  const apiError = error as APIError;
  return { error: apiError, envelope: apiError.error as never };
}

describe("sandbox through @linqapp/sdk", () => {
  it("creates a direct chat and a group, and retrieves them as Linq's Chat", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);

    const direct = await linq.chats.create({ from: ME, to: [ALICE], message: hello });
    expect(direct.chat).toMatchObject({ is_group: false, service: "iMessage", display_name: ALICE });
    expect(direct.chat.handles.map((h) => [h.handle, h.is_me, h.status])).toEqual([
      [ME, true, "active"],
      [ALICE, false, "active"],
    ]);
    expect(direct.chat.message).toMatchObject({ parts: [{ type: "text", value: "hello" }], is_read: false });

    const group = await linq.chats.create({ from: ME, to: [ALICE, BOB], message: hello });
    expect(group.chat.is_group).toBe(true);

    const chat = await linq.chats.retrieve(group.chat.id);
    expect(chat).toEqual({
      id: group.chat.id,
      display_name: `${ALICE}, ${BOB}`,
      group_chat_icon: null,
      handles: group.chat.handles,
      is_archived: false,
      is_group: true,
      service: "iMessage",
      health_status: expect.objectContaining({ status: "HEALTHY" }),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(chat.handles[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      handle: ME,
      service: "iMessage",
      status: "active",
      joined_at: expect.any(String),
      left_at: null,
      is_me: true,
    });
  });

  it("answers an update at once with pending, and applies it later", async () => {
    const sandbox = await sandboxForTest({ delayMs: 30 });
    const linq = linqClient(sandbox);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });

    const answer = await linq.chats.update(chat.id, {
      display_name: "Team",
      group_chat_icon: "https://example.com/icon.png",
    });
    expect(answer).toEqual({ chat_id: chat.id, status: "pending" });
    expect((await linq.chats.retrieve(chat.id)).display_name).toBe(`${ALICE}, ${BOB}`);

    await sandbox.idle();
    const updated = await linq.chats.retrieve(chat.id);
    expect(updated).toMatchObject({ display_name: "Team", group_chat_icon: "https://example.com/icon.png" });
    const [operation] = sandbox.truth().operations;
    expect(operation?.outcomes.map((o) => [o.part, o.status])).toEqual([
      ["display_name", "applied"],
      ["group_chat_icon", "applied"],
    ]);
  });

  it("queues a removal with a trace id, and marks the participant removed later", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });

    const answer = await linq.chats.participants.remove(chat.id, { handle: CAROL });
    expect(answer).toEqual({
      message: "Participant removal queued",
      status: "accepted",
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(sandbox.truth().operations[0]?.traceId).toBe(answer.trace_id);

    await sandbox.idle();
    const carol = (await linq.chats.retrieve(chat.id)).handles.find((h) => h.handle === CAROL);
    expect(carol).toMatchObject({ status: "removed", left_at: expect.any(String) });
  });

  it("queues an addition and adds the participant later", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });

    const answer = await linq.chats.participants.add(chat.id, { handle: DAN });
    expect(answer).toMatchObject({ message: "Participant addition queued", status: "accepted" });

    await sandbox.idle();
    const dan = (await linq.chats.retrieve(chat.id)).handles.find((h) => h.handle === DAN);
    expect(dan).toMatchObject({ status: "active", is_me: false });
  });

  it("creates, lists, updates and deletes webhook subscriptions; the secret is shown once", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);

    const created = await linq.webhookSubscriptions.create({
      target_url: "https://hooks.example.com/linq",
      subscribed_events: ["chat.group_name_updated", "participant.removed"],
    });
    expect(created).toMatchObject({
      target_url: "https://hooks.example.com/linq",
      subscribed_events: ["chat.group_name_updated", "participant.removed"],
      is_active: true,
      signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
    });

    const { subscriptions } = await linq.webhookSubscriptions.list();
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).not.toHaveProperty("signing_secret");
    expect(subscriptions[0]?.id).toBe(created.id);

    const updated = await linq.webhookSubscriptions.update(created.id, { is_active: false });
    expect(updated.is_active).toBe(false);
    expect(await linq.webhookSubscriptions.retrieve(created.id)).toMatchObject({ is_active: false });

    await linq.webhookSubscriptions.delete(created.id);
    expect((await linq.webhookSubscriptions.list()).subscriptions).toEqual([]);
    const { error, envelope } = await linqError(linq.webhookSubscriptions.retrieve(created.id));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(envelope.error.code).toBe(2001);
  });

  it("makes each subscription's signing secret as Linq does: whsec_ and base64 of 32 random bytes", async () => {
    const linq = linqClient(await sandboxForTest());
    const secrets = await Promise.all(
      ["a", "b"].map(async (path) => {
        const created = await linq.webhookSubscriptions.create({
          target_url: `https://hooks.example.com/${path}`,
          subscribed_events: ["participant.removed"],
        });
        return created.signing_secret;
      }),
    );
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice("whsec_".length), "base64")).toHaveLength(32);
    }
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it("refuses a subscription to a plain-HTTP remote URL or an unknown event type", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);
    for (const body of [
      { target_url: "http://hooks.example.com/linq", subscribed_events: ["participant.removed" as const] },
      { target_url: "https://hooks.example.com/linq", subscribed_events: ["chat.renamed" as never] },
    ]) {
      const { error, envelope } = await linqError(linq.webhookSubscriptions.create(body));
      expect(error).toBeInstanceOf(BadRequestError);
      expect(envelope.error.code).toBe(1005);
    }
  });

  it("takes each target URL once, as Linq does: a second secret for one receiver needs another URL", async () => {
    const linq = linqClient(await sandboxForTest());
    const body = { target_url: "https://hooks.example.com/linq", subscribed_events: ["participant.removed" as const] };
    const first = await linq.webhookSubscriptions.create(body);
    const { error, envelope } = await linqError(linq.webhookSubscriptions.create(body));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(envelope.error).toMatchObject({ code: 1005, message: expect.stringContaining("already used") });

    const second = await linq.webhookSubscriptions.create({ ...body, target_url: `${body.target_url}?rotation=2` });
    const moved = await linqError(linq.webhookSubscriptions.update(second.id, { target_url: body.target_url }));
    expect(moved.envelope.error.code).toBe(1005);
    await linq.webhookSubscriptions.delete(first.id);
    expect(await linq.webhookSubscriptions.update(second.id, { target_url: body.target_url })).toMatchObject({
      target_url: body.target_url,
    });
  });

  it("reads an empty phone_numbers filter as every number, as null", async () => {
    const linq = linqClient(await sandboxForTest());
    const all = await linq.webhookSubscriptions.create({
      target_url: "https://hooks.example.com/all",
      subscribed_events: ["participant.removed"],
      phone_numbers: [],
    });
    expect(all.phone_numbers).toBeNull();
  });

  it("puts the call's X-Trace-ID (32 hex) on every answer; the bodies and the truth that carry one carry the same", async () => {
    const sandbox = await sandboxForTest();
    const linq = linqClient(sandbox);
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });

    const created = await linq.chats.create({ from: ME, to: [ALICE, BOB], message: hello }).withResponse();
    const retrieved = await linq.chats.retrieve(chat.id).withResponse();
    const updated = await linq.chats.update(chat.id, { display_name: "Team" }).withResponse();
    const removed = await linq.chats.participants.remove(chat.id, { handle: CAROL }).withResponse();
    const subscribed = await linq.webhookSubscriptions
      .create({ target_url: "https://hooks.example.com/linq", subscribed_events: ["participant.removed"] })
      .withResponse();
    const answers = [created, retrieved, updated, removed, subscribed].map(({ response }) =>
      response.headers.get("x-trace-id"),
    );
    for (const traceId of answers) expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(answers).size).toBe(answers.length);
    expect(removed.data.trace_id).toBe(answers[3]);
    expect(sandbox.truth().calls.map((call) => call.traceId)).toEqual(answers);
    expect(sandbox.truth().operations.map((operation) => operation.traceId)).toEqual([answers[2], answers[3]]);
  });

  it("puts X-Trace-ID on every error too (401, 404, 429, 500), equal to the envelope's trace_id", async () => {
    const errorOf = async (options: SandboxOptions, call: (linq: LinqAPIV3, chatId: string) => Promise<unknown>) => {
      const sandbox = await sandboxForTest({ apiKey: "right-key", ...options });
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
      const { error, envelope } = await linqError(call(linqClient(sandbox, "right-key"), chat.id));
      const traceId = error.headers?.get("x-trace-id");
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect((envelope as { trace_id?: string }).trace_id).toBe(traceId);
      expect(sandbox.truth().calls.at(-1)).toMatchObject({ status: error.status, traceId });
      return error;
    };
    const wrongKey = await errorOf({ apiKey: "other-key" }, (linq, id) => linq.chats.retrieve(id));
    expect(wrongKey).toBeInstanceOf(AuthenticationError);
    expect(await errorOf({}, (linq) => linq.chats.retrieve(randomUUID()))).toBeInstanceOf(NotFoundError);
    const limited = await errorOf({ rateLimitRate: 1 }, (linq, id) => linq.chats.update(id, { display_name: "x" }));
    expect(limited).toBeInstanceOf(RateLimitError);
    for (const failMode of ["before", "after"] as const) {
      const failed = await errorOf({ failRate: 1, failMode }, (linq, id) =>
        linq.chats.update(id, { display_name: "x" }),
      );
      expect(failed).toBeInstanceOf(InternalServerError);
    }

    const sandbox = await sandboxForTest();
    const response = await fetch(`${sandbox.url}/v3/no-such-route`, { headers: { authorization: "Bearer k" } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { trace_id: string }).trace_id).toBe(response.headers.get("x-trace-id"));
  });

  describe("errors surface as the SDK's classes with Linq's codes", () => {
    it("401/2004 for a wrong key when one is configured", async () => {
      const sandbox = await sandboxForTest({ apiKey: "right-key" });
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
      await expect(linqClient(sandbox, "right-key").chats.retrieve(chat.id)).resolves.toMatchObject({ id: chat.id });

      const { error, envelope } = await linqError(linqClient(sandbox, "wrong-key").chats.retrieve(chat.id));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(envelope).toEqual({
        error: { status: 401, code: 2004, message: "Unauthorized - missing or invalid authentication token" },
        success: false,
        trace_id: expect.any(String),
      });
    });

    it("401/2004 without a bearer token", async () => {
      const sandbox = await sandboxForTest();
      const response = await fetch(`${sandbox.url}/v3/webhook-subscriptions`);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 2004 }, success: false });
    });

    it("400 for bad input: 1005 bad id or icon, 1003 bad body, 1001 nothing to update, 1002 bad handle", async () => {
      const sandbox = await sandboxForTest();
      const linq = linqClient(sandbox);
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });
      const cases: Array<[Promise<unknown>, number]> = [
        [linq.chats.retrieve("not-a-uuid"), 1005],
        [linq.chats.update("not-a-uuid", { display_name: "x" }), 1005],
        [linq.chats.update(chat.id, { group_chat_icon: "http://example.com/icon.png" }), 1005],
        [linq.chats.update(chat.id, "{not json" as never, { headers: { "content-type": "application/json" } }), 1003],
        [linq.chats.update(chat.id, [] as never), 1003],
        [linq.chats.update(chat.id, {}), 1001],
        [linq.chats.participants.remove(chat.id, {} as never), 1001],
        [linq.chats.participants.remove(chat.id, { handle: "555-1234" }), 1002],
        [linq.chats.create({ from: ME, to: ["not a handle"], message: hello }), 1002],
        [linq.chats.create({ from: ME, to: [ALICE] } as never), 1001],
      ];
      for (const [call, code] of cases) {
        const { error, envelope } = await linqError(call);
        expect(error).toBeInstanceOf(BadRequestError);
        expect(envelope.error).toMatchObject({ status: 400, code });
        expect(envelope.success).toBe(false);
      }
      expect(sandbox.truth().operations).toEqual([]);
    });

    it("404/2001 for an unknown chat, and for removing a handle that is not in the chat", async () => {
      const sandbox = await sandboxForTest();
      const linq = linqClient(sandbox);
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });
      for (const call of [
        linq.chats.retrieve(randomUUID()),
        linq.chats.update(randomUUID(), { display_name: "x" }),
        linq.chats.participants.remove(randomUUID(), { handle: ALICE }),
        linq.chats.participants.remove(chat.id, { handle: DAN }),
      ]) {
        const { error, envelope } = await linqError(call);
        expect(error).toBeInstanceOf(NotFoundError);
        expect(envelope.error).toEqual({ status: 404, code: 2001, message: "Resource not found" });
      }
    });

    it("409/1006 for updating a direct chat, 409/2013 for a removal leaving fewer than 3", async () => {
      const sandbox = await sandboxForTest();
      const linq = linqClient(sandbox);
      const direct = sandbox.seedChat({ handles: [ME, ALICE] });
      const small = sandbox.seedChat({ handles: [ME, ALICE, BOB] });

      const update = await linqError(linq.chats.update(direct.id, { display_name: "x" }));
      expect(update.error).toBeInstanceOf(ConflictError);
      expect(update.envelope.error).toMatchObject({ status: 409, code: 1006 });

      for (const chat of [direct, small]) {
        const removal = await linqError(linq.chats.participants.remove(chat.id, { handle: ALICE }));
        expect(removal.error).toBeInstanceOf(ConflictError);
        expect(removal.envelope.error).toEqual({ status: 409, code: 2013, message: "This chat is unavailable" });
      }
    });

    it("429/1007 with Retry-After and error.retry_after", async () => {
      const sandbox = await sandboxForTest({ rateLimitRate: 1, retryAfterSeconds: 2 });
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
      const { error, envelope } = await linqError(linqClient(sandbox).chats.update(chat.id, { display_name: "x" }));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error.headers?.get("retry-after")).toBe("2");
      expect(envelope.error).toMatchObject({ status: 429, code: 1007, retry_after: 2 });
      await sandbox.idle();
      expect(sandbox.truth().operations).toEqual([]);
      expect(sandbox.truth().chats[0]?.display_name).toBe(`${ALICE}, ${BOB}`);
    });

    it("500/3006 before the work: nothing happens", async () => {
      const sandbox = await sandboxForTest({ failRate: 1, failMode: "before" });
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
      const { error, envelope } = await linqError(linqClient(sandbox).chats.update(chat.id, { display_name: "x" }));
      expect(error).toBeInstanceOf(InternalServerError);
      expect(envelope.error).toEqual({ status: 500, code: 3006, message: "Internal server error" });
      await sandbox.idle();
      const truth = sandbox.truth();
      expect(truth.calls[0]).toMatchObject({ status: 500, code: 3006, fault: "failed_before" });
      expect(truth.operations).toEqual([]);
      expect(truth.chats[0]?.display_name).toBe(`${ALICE}, ${BOB}`);
    });

    it("500/3006 after the work: the client sees a failure, the change happens anyway", async () => {
      const sandbox = await sandboxForTest({ failRate: 1, failMode: "after" });
      const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
      const { error } = await linqError(linqClient(sandbox).chats.update(chat.id, { display_name: "Renamed" }));
      expect(error).toBeInstanceOf(InternalServerError);
      await sandbox.idle();
      const truth = sandbox.truth();
      expect(truth.calls[0]).toMatchObject({ status: 500, fault: "failed_after", operationSeq: 1 });
      expect(truth.operations[0]).toMatchObject({ answer: 500, outcomes: [{ status: "applied" }] });
      expect(truth.chats[0]?.display_name).toBe("Renamed");
    });
  });
});
