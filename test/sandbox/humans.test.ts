import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { LOCAL_WEBHOOK_SECRET } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, receiverForTest, sandboxForTest } from "./helpers.ts";

/** People changing the group on their phones: the same events as the API's changes, which prove nothing about a request. */

type Delivered = { event_type: string; event_id: string; trace_id: string; data: Record<string, any> };

async function phones() {
  const receiver = await receiverForTest();
  const sandbox = await sandboxForTest({ webhookTargets: [{ url: receiver.url, secret: LOCAL_WEBHOOK_SECRET }] });
  const verifier = new Webhook(LOCAL_WEBHOOK_SECRET);
  const delivered = (): Delivered[] =>
    receiver.received.map(({ body, headers }) => verifier.verify(body, headers) as Delivered);
  const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL], display_name: "Ours" });
  return { sandbox, linq: linqClient(sandbox), delivered, chat };
}

const person = (handle: string) => expect.objectContaining({ handle, is_me: false, status: "active" });

describe("people on their phones", () => {
  it("humanSetIcon: the icon is one Linq hosts, the event names the person, the truth lists it as theirs", async () => {
    const { sandbox, linq, delivered, chat } = await phones();
    const hosted = sandbox.humanSetIcon(chat.id, undefined, BOB);
    const given = sandbox.humanSetIcon(chat.id, "https://cdn.linqapp.com/chat-icons/mine.png");
    await sandbox.idle();

    const [first, second] = delivered();
    expect(first).toMatchObject({
      event_id: hosted.eventId,
      event_type: "chat.group_icon_updated",
      data: {
        chat_id: chat.id,
        changed_by_handle: person(BOB),
        new_value: expect.stringMatching(/^https:\/\/cdn\.linqapp\.com\/chat-icons\/[0-9a-f]{32}\.png$/),
        old_value: null,
      },
    });
    expect(second).toMatchObject({
      event_id: given.eventId,
      data: { changed_by_handle: person(ALICE), new_value: "https://cdn.linqapp.com/chat-icons/mine.png" },
    });
    expect((await linq.chats.retrieve(chat.id)).group_chat_icon).toBe("https://cdn.linqapp.com/chat-icons/mine.png");
    const truth = sandbox.truth();
    expect(truth.operations).toMatchObject([
      {
        kind: "human.set_icon",
        traceId: undefined,
        request: { group_chat_icon: first!.data["new_value"], by: BOB },
        outcomes: [{ part: "group_chat_icon", status: "applied", value: first!.data["new_value"] }],
      },
      { kind: "human.set_icon", request: { by: ALICE } },
    ]);
    expect(truth.calls.map((call) => call.method)).toEqual(["GET"]);
  });

  it("humanRemove then humanAdd: removed, then active again with a fresh joined_at; no changed_by_handle", async () => {
    const { sandbox, linq, delivered, chat } = await phones();
    const joined = chat.handles.find((h) => h.handle === CAROL)!.joined_at;
    sandbox.humanRemove(chat.id, CAROL, ALICE);
    expect((await linq.chats.retrieve(chat.id)).handles.find((h) => h.handle === CAROL)?.status).toBe("removed");
    await new Promise((resolve) => setTimeout(resolve, 5));
    sandbox.humanAdd(chat.id, CAROL);
    sandbox.humanAdd(chat.id, DAN, BOB);
    await sandbox.idle();

    const events = delivered();
    expect(events.map((event) => [event.event_type, event.data["handle"]])).toEqual([
      ["participant.removed", CAROL],
      ["participant.added", CAROL],
      ["participant.added", DAN],
    ]);
    for (const event of events) expect(event.data).not.toHaveProperty("changed_by_handle");
    expect(events[0]!.data["participant"]).toMatchObject({
      handle: CAROL,
      status: "removed",
      left_at: expect.any(String),
    });
    const handles = (await linq.chats.retrieve(chat.id)).handles;
    const carol = handles.find((h) => h.handle === CAROL)!;
    expect(carol).toMatchObject({ status: "active", left_at: null });
    expect(carol.joined_at > joined).toBe(true);
    expect(handles.find((h) => h.handle === DAN)).toMatchObject({ status: "active", is_me: false });
    expect(sandbox.truth().operations.map((o) => [o.kind, o.request["handle"], o.request["by"]])).toEqual([
      ["human.remove", CAROL, ALICE],
      ["human.add", CAROL, ALICE],
      ["human.add", DAN, BOB],
    ]);
  });

  it("a person's event has a trace id of its own, even when events otherwise carry the request's", async () => {
    const { sandbox, delivered, chat } = await phones();
    sandbox.humanRename(chat.id, "Theirs");
    await sandbox.idle();
    expect(delivered()[0]?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(sandbox.truth().operations[0]).toMatchObject({ kind: "human.rename", traceId: undefined });
  });

  it("refuses what a person could not do", async () => {
    const { sandbox, chat } = await phones();
    expect(() => sandbox.humanRename(chat.id, "x", ME)).toThrow(/not another active participant/);
    expect(() => sandbox.humanRemove(chat.id, ME)).toThrow(/your own line/);
    expect(() => sandbox.humanAdd(chat.id, ALICE)).toThrow(/already a participant/);
    expect(() => sandbox.humanSetIcon(chat.id, "http://example.com/x.png")).toThrow(/https/);
    expect(sandbox.truth().operations).toEqual([]);
  });

  it("are served over HTTP under /_sandbox for a sandbox in another process, never as Linq calls", async () => {
    const { sandbox, delivered, chat } = await phones();
    const post = async (path: string, body: unknown, key = "any") => {
      const response = await fetch(`${sandbox.url}/_sandbox/chats/${chat.id}/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    const renamed = await post("human-rename", { display_name: "Theirs", by: BOB });
    expect(renamed).toMatchObject({ status: 200, body: { eventType: "chat.group_name_updated" } });
    expect((await post("human-set-icon", {})).status).toBe(200);
    expect((await post("human-remove", { handle: CAROL })).status).toBe(200);
    expect((await post("human-add", { handle: CAROL, by: ALICE })).status).toBe(200);
    expect((await post("human-rename", {})).body).toMatchObject({ error: { status: 400, code: 1001 } });
    expect((await post("human-add", { handle: ALICE })).body).toMatchObject({ error: { status: 400, code: 1005 } });
    expect((await post("human-dance", {})).status).toBe(404);
    await sandbox.idle();

    expect(delivered().map((event) => event.event_type)).toEqual([
      "chat.group_name_updated",
      "chat.group_icon_updated",
      "participant.removed",
      "participant.added",
    ]);
    expect(delivered()[0]).toMatchObject({ event_id: renamed.body["eventId"], data: { new_value: "Theirs" } });
    const truth = sandbox.truth();
    expect(truth.operations.map((operation) => operation.kind)).toEqual([
      "human.rename",
      "human.set_icon",
      "human.remove",
      "human.add",
    ]);
    expect(truth.calls).toEqual([]);
  });

  it("over HTTP too, only with the sandbox's key when it has one", async () => {
    const sandbox = await sandboxForTest({ apiKey: "right" });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
    const response = await fetch(`${sandbox.url}/_sandbox/chats/${chat.id}/human-rename`, {
      method: "POST",
      headers: { authorization: "Bearer wrong" },
      body: JSON.stringify({ display_name: "x" }),
    });
    expect(response.status).toBe(401);
    expect(sandbox.truth().operations).toEqual([]);
  });
});
