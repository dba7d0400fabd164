import { describe, expect, it } from "vitest";
import { oldestPendingAgeSeconds } from "../../src/domain/backlog-age.ts";
import { updateChat } from "../../src/domain/operations-service.ts";
import { refusal } from "../fakes/linq-api.ts";
import { CHAT, makeWorld } from "../fakes/world.ts";

describe("oldestPendingAgeSeconds", () => {
  it("is 0 with nothing pending", async () => {
    const world = makeWorld();
    expect(await oldestPendingAgeSeconds(world.backlog, world.clock)).toBe(0);
  });

  it("is the age of the oldest operation still pending, settled ones aside", async () => {
    const world = makeWorld();
    world.linq.answerUpdateChat(refusal(409, 1006));
    await updateChat(world, { chatId: CHAT, request: { display_name: "Refused" }, source: "http" });
    world.clock.advance(60_000);
    world.linq.answerUpdateChat({ body: { chat_id: CHAT, status: "pending" } });
    await updateChat(world, { chatId: CHAT, request: { display_name: "Pending" }, source: "http" });
    world.clock.advance(90_000);
    await updateChat(world, { chatId: CHAT, request: { display_name: "Younger" }, source: "http" });
    world.clock.advance(30_000);

    expect(await oldestPendingAgeSeconds(world.backlog, world.clock)).toBe(120);
  });
});
