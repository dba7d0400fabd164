import { beforeEach, describe, expect, it } from "vitest";
import { getOperation, getOperationByTraceId, listOperations } from "../../src/domain/operation-queries.ts";
import { removeParticipant, updateChat } from "../../src/domain/operations-service.ts";
import { CHAT, makeWorld, OTHER_CHAT, type World } from "../fakes/world.ts";

let world: World;
beforeEach(() => {
  world = makeWorld();
});

async function requestUpdates(count: number, chatId = CHAT): Promise<string[]> {
  const traceIds: string[] = [];
  for (let i = 0; i < count; i++) {
    world.clock.advance(1000);
    const answer = await updateChat(world, { chatId, request: { display_name: `Name ${i}` }, source: "http" });
    traceIds.push(answer.record.trace_id);
  }
  return traceIds;
}

describe("one operation", () => {
  it("is answered as the public record, by chat and trace id or by trace id alone", async () => {
    const [traceId = ""] = await requestUpdates(1);

    const record = await getOperation(world.store, CHAT, traceId);

    expect(record).toMatchObject({ chat_id: CHAT, trace_id: traceId, kind: "chat.update", status: "pending" });
    expect(record).not.toHaveProperty("version");
    expect(record).not.toHaveProperty("id");
    expect(await getOperationByTraceId(world.store, traceId)).toEqual(record);
  });

  it("is found by Linq's trace id for a removal, the public id, not by our key", async () => {
    world.linq.answerRemoveParticipant({
      body: { message: "Participant removal queued", status: "accepted", trace_id: "linq-t1" },
      traceId: "linq-h1",
    });
    await removeParticipant(world, { chatId: CHAT, request: { handle: "+15551234567" }, source: "http" });

    expect(await getOperation(world.store, CHAT, "linq-t1")).toMatchObject({ trace_id: "linq-t1" });
    expect(await getOperationByTraceId(world.store, "linq-t1")).toMatchObject({ kind: "participant.remove" });
    await expect(getOperationByTraceId(world.store, "ours-1")).rejects.toMatchObject({ status: 404 });
  });

  it("is a 404 (2001) when unknown, or asked for under another chat", async () => {
    const [traceId = ""] = await requestUpdates(1);

    await expect(getOperation(world.store, OTHER_CHAT, traceId)).rejects.toMatchObject({ status: 404, code: 2001 });
    await expect(getOperationByTraceId(world.store, "nope")).rejects.toMatchObject({ status: 404, code: 2001 });
  });
});

describe("a chat's operations", () => {
  it("are listed newest first, page by page, until next_cursor is null", async () => {
    const traceIds = await requestUpdates(5);
    await requestUpdates(2, OTHER_CHAT);

    const first = await listOperations(world.store, CHAT, { limit: 2 });
    const second = await listOperations(world.store, CHAT, { limit: 2, cursor: first.next_cursor ?? "" });
    const third = await listOperations(world.store, CHAT, { limit: 2, cursor: second.next_cursor ?? "" });

    const seen = [...first.data, ...second.data, ...third.data].map((record) => record.trace_id);
    expect(seen).toEqual([...traceIds].reverse());
    expect(first.next_cursor).toEqual(expect.any(String));
    expect(third.next_cursor).toBeNull();
    expect(first.data[0]).not.toHaveProperty("version");
  });

  it("refuses a cursor handed out for another chat, or made up, with 400", async () => {
    await requestUpdates(3);
    const page = await listOperations(world.store, CHAT, { limit: 1 });

    await expect(
      listOperations(world.store, OTHER_CHAT, { limit: 1, cursor: page.next_cursor ?? "" }),
    ).rejects.toMatchObject({ status: 400, code: 1005 });
    await expect(listOperations(world.store, CHAT, { limit: 1, cursor: "garbage" })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("is an empty page for a chat without operations", async () => {
    expect(await listOperations(world.store, CHAT, { limit: 20 })).toEqual({ data: [], next_cursor: null });
  });
});
