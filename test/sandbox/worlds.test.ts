import { setTimeout as sleep } from "node:timers/promises";
import { APIError, ConflictError } from "@linqapp/sdk";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { LOCAL_WEBHOOK_SECRET, type Sandbox, type SandboxOptions } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, receiverForTest, sandboxForTest } from "./helpers.ts";

/**
 * Linq's unknowns (linq.md, "What nobody here has confirmed"), each a setting: every possible answer is a world the
 * sandbox can play, driven here through the official client and checked on deliveries verified by standardwebhooks.
 */

type Delivered = { event_type: string; event_id: string; trace_id: string; data: Record<string, any> };

/** A sandbox whose every event goes to one receiver; `delivered()` verifies each delivery's signature. */
async function world(options: SandboxOptions = {}) {
  const receiver = await receiverForTest();
  const sandbox = await sandboxForTest({
    webhookTargets: [{ url: receiver.url, secret: LOCAL_WEBHOOK_SECRET }],
    ...options,
  });
  const verifier = new Webhook(LOCAL_WEBHOOK_SECRET);
  const delivered = (): Delivered[] =>
    receiver.received.map(({ body, headers }) => verifier.verify(body, headers) as Delivered);
  return { sandbox, linq: linqClient(sandbox), delivered };
}

const group = (sandbox: Sandbox) => sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL], display_name: "Before" });

describe("traceLink", () => {
  it("request (default): every event's trace_id is the X-Trace-ID of the call that caused it", async () => {
    const { sandbox, linq, delivered } = await world();
    const chat = group(sandbox);
    const update = await linq.chats
      .update(chat.id, { display_name: "Team", group_chat_icon: "https://example.com/icon.png" })
      .withResponse();
    const removal = await linq.chats.participants.remove(chat.id, { handle: CAROL }).withResponse();
    await sandbox.idle();

    const updateTrace = update.response.headers.get("x-trace-id");
    const removalTrace = removal.response.headers.get("x-trace-id");
    expect(removal.data.trace_id).toBe(removalTrace);
    expect(
      delivered()
        .map((event) => [event.event_type, event.trace_id])
        .sort(),
    ).toEqual(
      [
        ["chat.group_name_updated", updateTrace],
        ["chat.group_icon_updated", updateTrace],
        ["participant.removed", removalTrace],
      ].sort(),
    );
  });

  it("own: each event has a fresh trace id of its own, unrelated to any call", async () => {
    const { sandbox, linq, delivered } = await world({ traceLink: "own" });
    const chat = group(sandbox);
    await linq.chats.update(chat.id, { display_name: "Team", group_chat_icon: "https://example.com/icon.png" });
    await linq.chats.participants.remove(chat.id, { handle: CAROL });
    await sandbox.idle();

    const callTraces = sandbox.truth().calls.map((call) => call.traceId);
    const eventTraces = delivered().map((event) => event.trace_id);
    expect(eventTraces).toHaveLength(3);
    for (const traceId of eventTraces) expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(eventTraces).size).toBe(3);
    expect(eventTraces.filter((traceId) => callTraces.includes(traceId))).toEqual([]);
  });
});

describe("iconMode", () => {
  const sent = "https://example.com/team.png";

  it("echo (default): the event's new_value and the chat's group_chat_icon are exactly the URL sent", async () => {
    const { sandbox, linq, delivered } = await world();
    const chat = group(sandbox);
    await linq.chats.update(chat.id, { group_chat_icon: sent });
    await sandbox.idle();

    expect(delivered()[0]).toMatchObject({ event_type: "chat.group_icon_updated", data: { new_value: sent } });
    expect((await linq.chats.retrieve(chat.id)).group_chat_icon).toBe(sent);
    expect(sandbox.truth().operations[0]?.outcomes[0]).toMatchObject({ status: "applied", value: sent });
  });

  it("rehost: both are a URL Linq hosts, never the one sent, and the truth says which", async () => {
    const { sandbox, linq, delivered } = await world({ iconMode: "rehost" });
    const chat = group(sandbox);
    await linq.chats.update(chat.id, { group_chat_icon: sent });
    await linq.chats.update(chat.id, { group_chat_icon: sent });
    await sandbox.idle();

    const [first, second] = delivered().map((event) => event.data);
    const hosted = /^https:\/\/cdn\.linqapp\.com\/chat-icons\/[0-9a-f]{32}\.png$/;
    expect(first).toMatchObject({ new_value: expect.stringMatching(hosted), old_value: null });
    expect(second).toMatchObject({ new_value: expect.stringMatching(hosted), old_value: first!.new_value });
    expect(second!.new_value).not.toBe(first!.new_value);
    const shown = (await linq.chats.retrieve(chat.id)).group_chat_icon;
    expect(shown).toBe(second!.new_value);
    const truth = sandbox.truth();
    expect(truth.operations.map((operation) => operation.outcomes[0]?.value)).toEqual([
      first!.new_value,
      second!.new_value,
    ]);
    expect(truth.operations[1]?.request).toEqual({ group_chat_icon: sent });
    expect(truth.chats[0]?.group_chat_icon).toBe(shown);
  });

  it("rehost: the magic /fail value still fails, and nothing is shown", async () => {
    const { sandbox, linq, delivered } = await world({ iconMode: "rehost" });
    const chat = group(sandbox);
    await linq.chats.update(chat.id, { group_chat_icon: "https://example.com/fail.png" });
    await sandbox.idle();
    expect(delivered().map((event) => event.event_type)).toEqual(["chat.group_icon_update_failed"]);
    expect(sandbox.truth().chats[0]?.group_chat_icon).toBeNull();
  });
});

describe("changedBy", () => {
  const ownHandle = {
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    handle: ME,
    service: "iMessage",
    status: "active",
    joined_at: expect.any(String),
    left_at: null,
    is_me: true,
  };

  async function changes(options: SandboxOptions) {
    const { sandbox, linq, delivered } = await world(options);
    const chat = group(sandbox);
    await linq.chats.update(chat.id, { display_name: "Team", group_chat_icon: "https://example.com/icon.png" });
    await sandbox.idle();
    const events = delivered();
    expect(events.map((event) => event.event_type).sort()).toEqual([
      "chat.group_icon_updated",
      "chat.group_name_updated",
    ]);
    return { sandbox, events };
  }

  it("line (default): the chat's own line handle, is_me true, on name and icon events", async () => {
    const { sandbox, events } = await changes({});
    const own = (await linqClient(sandbox).chats.retrieve(sandbox.truth().chats[0]!.id)).handles[0];
    for (const event of events) {
      expect(event.data["changed_by_handle"]).toEqual(ownHandle);
      expect(event.data["changed_by_handle"]).toEqual(own);
    }
  });

  it("null: changed_by_handle is null", async () => {
    const { events } = await changes({ changedBy: "null" });
    for (const event of events) expect(event.data).toHaveProperty("changed_by_handle", null);
  });

  it("absent: no changed_by_handle key at all", async () => {
    const { events } = await changes({ changedBy: "absent" });
    for (const event of events) {
      expect(event.data).not.toHaveProperty("changed_by_handle");
      expect(event.data).toMatchObject({ chat_id: expect.any(String), new_value: expect.any(String) });
    }
  });

  it.each(["line", "null", "absent"] as const)(
    "%s: a person's change always names that person, is_me false",
    async (changedBy) => {
      const { sandbox, delivered } = await world({ changedBy });
      const chat = group(sandbox);
      sandbox.humanRename(chat.id, "Theirs", BOB);
      await sandbox.idle();
      expect(delivered()[0]?.data["changed_by_handle"]).toEqual({ ...ownHandle, handle: BOB, is_me: false });
    },
  );
});

describe("creatingMs", () => {
  const refusal = async (call: Promise<unknown>) => {
    const error = (await call.then(
      () => expect.fail("expected 409/2009"),
      (thrown: unknown) => thrown,
    )) as APIError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.error).toMatchObject({ error: { status: 409, code: 2009, message: expect.stringMatching(/retry/) } });
    expect(error.headers?.get("retry-after")).toBeNull();
    expect(error.headers?.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/);
  };

  it("answers 409/2009 to changes of a chat still being created, then accepts them", async () => {
    const { sandbox, linq, delivered } = await world({ creatingMs: 1000 });
    const created = (
      await linq.chats.create({
        from: ME,
        to: [ALICE, BOB, CAROL],
        message: { parts: [{ type: "text", value: "hi" }] },
      })
    ).chat;
    const seeded = group(sandbox);
    for (const chat of [created, seeded]) {
      await refusal(linq.chats.update(chat.id, { display_name: "Team" }));
      await refusal(linq.chats.participants.remove(chat.id, { handle: CAROL }));
      await refusal(linq.chats.participants.add(chat.id, { handle: DAN }));
      await expect(linq.chats.retrieve(chat.id)).resolves.toMatchObject({ id: chat.id });
    }
    expect(sandbox.truth().operations).toEqual([]);
    expect(sandbox.truth().calls.filter((call) => call.code === 2009)).toHaveLength(6);

    await sleep(1000);
    await expect(linq.chats.update(seeded.id, { display_name: "Team" })).resolves.toMatchObject({ status: "pending" });
    await sandbox.idle();
    expect(delivered().map((event) => event.event_type)).toEqual(["chat.group_name_updated"]);
  });

  it("0 (default): a new chat can be changed at once", async () => {
    const { sandbox, linq } = await world();
    await expect(linq.chats.update(group(sandbox).id, { display_name: "Team" })).resolves.toMatchObject({
      status: "pending",
    });
  });
});

describe("removedHandles", () => {
  async function removeThenAddBack(options: SandboxOptions) {
    const { sandbox, linq, delivered } = await world(options);
    const chat = group(sandbox);
    const before = (await linq.chats.retrieve(chat.id)).handles.find((h) => h.handle === CAROL)!;
    await linq.chats.participants.remove(chat.id, { handle: CAROL });
    await sandbox.idle();
    const removed = await linq.chats.retrieve(chat.id);
    await sleep(5); // so the new joined_at differs from the first
    await linq.chats.participants.add(chat.id, { handle: CAROL });
    await sandbox.idle();
    const added = await linq.chats.retrieve(chat.id);
    for (const handle of [...removed.handles, ...added.handles]) expect(handle.joined_at).toEqual(expect.any(String));
    const [removal, addition] = delivered();
    expect(removal).toMatchObject({
      event_type: "participant.removed",
      data: { participant: { handle: CAROL, status: "removed", left_at: expect.any(String) } },
    });
    expect(addition).toMatchObject({ event_type: "participant.added", data: { participant: { handle: CAROL } } });
    return { before, removed, added, addition: addition!.data["participant"] };
  }

  it("listed (default): a removed handle stays with status removed and left_at; added back it is active again", async () => {
    const { before, removed, added, addition } = await removeThenAddBack({});
    expect(removed.handles.find((h) => h.handle === CAROL)).toEqual({
      ...before,
      status: "removed",
      left_at: expect.any(String),
    });
    const back = added.handles.find((h) => h.handle === CAROL)!;
    expect(back).toEqual({ ...before, status: "active", left_at: null, joined_at: expect.any(String) });
    expect(back.joined_at > before.joined_at).toBe(true);
    expect(addition).toEqual(back);
  });

  it("dropped: a removed handle disappears from handles; added back it is a new participant", async () => {
    const { before, removed, added, addition } = await removeThenAddBack({ removedHandles: "dropped" });
    expect(removed.handles.map((h) => h.handle)).toEqual([ME, ALICE, BOB]);
    const back = added.handles.find((h) => h.handle === CAROL)!;
    expect(back).toMatchObject({ handle: CAROL, status: "active", left_at: null, is_me: false });
    expect(back.id).not.toBe(before.id);
    expect(addition).toEqual(back);
  });
});
