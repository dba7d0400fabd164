import { describe, expect, it } from "vitest";
import { ServiceError } from "../../src/domain/errors.ts";
import {
  DISPLAY_NAME_MAX_LENGTH,
  normalizeHandle,
  parseChatId,
  parseChatUpdate,
  parseChatUpdateRequested,
  parseIdempotencyKey,
  parseListLimit,
  parseParticipantRemove,
  parseParticipantRemoveRequested,
  parseTraceId,
} from "../../src/domain/validation.ts";
import { CHAT } from "../fakes/world.ts";

/** The Linq code a parse throws with, asserting it is a 400 in Linq's vocabulary. */
function codeOf(parse: () => unknown): number {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).status).toBe(400);
    return (error as ServiceError).code;
  }
  throw new Error("expected the input to be refused");
}

describe("chat ids", () => {
  it("accepts a UUID in any case and answers it in lower case", () => {
    expect(parseChatId(CHAT.toUpperCase())).toBe(CHAT);
  });

  it.each([undefined, "", "not-a-uuid", "6f1f0c2e8a4b4c3d9e5f0a1b2c3d4e5f", `${CHAT}x`, 42])(
    "refuses %j with 1005",
    (value) => {
      expect(codeOf(() => parseChatId(value))).toBe(1005);
    },
  );
});

describe("trace ids", () => {
  it("accepts ours and Linq's opaque ones, refuses what is unsafe in a key or a URL", () => {
    expect(parseTraceId("ours-1")).toBe("ours-1");
    expect(parseTraceId("a1B2.c3:d4_e5")).toBe("a1B2.c3:d4_e5");
    expect(codeOf(() => parseTraceId("a/b"))).toBe(1005);
    expect(codeOf(() => parseTraceId(""))).toBe(1005);
    expect(codeOf(() => parseTraceId("x".repeat(129)))).toBe(1005);
  });
});

describe("the update body", () => {
  it("keeps the name trimmed and the https icon as given", () => {
    expect(parseChatUpdate({ display_name: "  Team  ", group_chat_icon: "https://cdn.test/a.png" })).toEqual({
      display_name: "Team",
      group_chat_icon: "https://cdn.test/a.png",
    });
  });

  it("accepts a name of exactly the maximum length", () => {
    const name = "n".repeat(DISPLAY_NAME_MAX_LENGTH);
    expect(parseChatUpdate({ display_name: name })).toEqual({ display_name: name });
  });

  it.each([
    ["an empty name", 1005, { display_name: "" }],
    ["a whitespace-only name", 1005, { display_name: " \t " }],
    ["a name that is too long", 1005, { display_name: "n".repeat(DISPLAY_NAME_MAX_LENGTH + 1) }],
    ["a name with a control character", 1005, { display_name: "Team\u0007Chat" }],
    ["a name with a newline inside", 1005, { display_name: "Team\nChat" }],
    ["a name that is not a string", 1003, { display_name: 7 }],
    ["a null name", 1003, { display_name: null }],
    ["an http icon", 1005, { group_chat_icon: "http://cdn.test/a.png" }],
    ["an icon that is not a URL", 1005, { group_chat_icon: "a.png" }],
    ["a data: icon", 1005, { group_chat_icon: "data:image/png;base64,AAAA" }],
    ["an icon URL that is too long", 1005, { group_chat_icon: `https://cdn.test/${"a".repeat(2048)}` }],
    ["an icon that is not a string", 1003, { group_chat_icon: ["https://cdn.test/a.png"] }],
    ["neither field", 1001, {}],
    ["an unknown field", 1003, { display_name: "Team", topic: "x" }],
  ])("refuses %s with %i", (_what, code, body) => {
    expect(codeOf(() => parseChatUpdate(body))).toBe(code);
  });

  it.each([null, "Team", 42, ["display_name"], undefined])(
    "refuses a body that is not an object (%j) with 1003",
    (body) => {
      expect(codeOf(() => parseChatUpdate(body))).toBe(1003);
    },
  );
});

describe("handles", () => {
  it.each([
    ["+15551234567", "+15551234567"],
    ["+1 (555) 123-4567", "+15551234567"],
    ["+1.555.123.4567", "+15551234567"],
    ["  +44 20 7946 0958 ", "+442079460958"],
    ["Alice@Example.COM", "alice@example.com"],
    [" bob@example.com ", "bob@example.com"],
  ])("spells %j one way: %j", (raw, normalized) => {
    expect(normalizeHandle(raw)).toBe(normalized);
  });

  it("gives every spelling of one participant the same handle", () => {
    const spellings = ["+15551234567", "+1 555 123 4567", "+1-555-123-4567", "+1 (555) 123-4567"];
    expect(new Set(spellings.map(normalizeHandle))).toEqual(new Set(["+15551234567"]));
  });

  it.each([
    ["a number without the plus", 1002, "15551234567"],
    ["a number starting with +0", 1002, "+05551234567"],
    ["a number that is too short", 1002, "+12345"],
    ["a number that is too long", 1002, "+1234567890123456"],
    ["letters", 1002, "alice"],
    ["a malformed email", 1005, "alice@example"],
    ["an email with a space", 1005, "al ice@example.com"],
    ["an empty handle", 1001, ""],
    ["a missing handle", 1001, undefined],
    ["a null handle", 1001, null],
    ["a handle that is not a string", 1003, 15551234567],
  ])("refuses %s with %i", (_what, code, handle) => {
    expect(codeOf(() => normalizeHandle(handle))).toBe(code);
  });

  it("reads the removal body: one handle, nothing else", () => {
    expect(parseParticipantRemove({ handle: "+1 555 123 4567" })).toEqual({ handle: "+15551234567" });
    expect(parseParticipantRemove({ handle: " Carol@Example.COM " })).toEqual({ handle: "Carol@Example.COM" });
    expect(codeOf(() => parseParticipantRemove({}))).toBe(1001);
    expect(codeOf(() => parseParticipantRemove({ handle: "+15551234567", reason: "spam" }))).toBe(1003);
    expect(codeOf(() => parseParticipantRemove("+15551234567"))).toBe(1003);
  });
});

describe("the Idempotency-Key", () => {
  it("is optional and, when given, 1 to 255 characters", () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey("k".repeat(255))).toBe("k".repeat(255));
    expect(codeOf(() => parseIdempotencyKey(""))).toBe(1005);
    expect(codeOf(() => parseIdempotencyKey("k".repeat(256)))).toBe(1005);
    expect(codeOf(() => parseIdempotencyKey(12))).toBe(1005);
  });
});

describe("the list limit", () => {
  it("defaults to 20 and accepts 1 to 100", () => {
    expect(parseListLimit(undefined)).toBe(20);
    expect(parseListLimit("1")).toBe(1);
    expect(parseListLimit("100")).toBe(100);
  });

  it.each(["0", "101", "-1", "1.5", "ten", "", " 5", "1e2"])("refuses %j with 1005", (value) => {
    expect(codeOf(() => parseListLimit(value))).toBe(1005);
  });
});

describe("EventBridge request details follow the HTTP rules", () => {
  it("reads chat.update.requested with its chat id and idempotency key", () => {
    expect(
      parseChatUpdateRequested({ chat_id: CHAT.toUpperCase(), display_name: " Team ", idempotency_key: "k1" }),
    ).toEqual({ chatId: CHAT, request: { display_name: "Team" }, idempotencyKey: "k1" });
  });

  it("reads participant.remove.requested with the handle as Linq gets it and no key when none is given", () => {
    expect(parseParticipantRemoveRequested({ chat_id: CHAT, handle: "Carol@Example.com" })).toEqual({
      chatId: CHAT,
      request: { handle: "Carol@Example.com" },
    });
  });

  it.each([
    ["a detail that is not an object", 1003, "Team"],
    ["a missing chat_id", 1001, { display_name: "Team" }],
    ["a chat_id that is not a UUID", 1005, { chat_id: "chat-1", display_name: "Team" }],
    ["no field to change", 1001, { chat_id: CHAT }],
    ["an empty name", 1005, { chat_id: CHAT, display_name: "" }],
    ["an http icon", 1005, { chat_id: CHAT, group_chat_icon: "http://cdn.test/a.png" }],
    ["an unknown field", 1003, { chat_id: CHAT, display_name: "Team", handle: "+15551234567" }],
    ["an empty idempotency_key", 1005, { chat_id: CHAT, display_name: "Team", idempotency_key: "" }],
  ])("refuses chat.update.requested with %s (%i)", (_what, code, detail) => {
    expect(codeOf(() => parseChatUpdateRequested(detail))).toBe(code);
  });

  it.each([
    ["a missing chat_id", 1001, { handle: "+15551234567" }],
    ["a missing handle", 1001, { chat_id: CHAT }],
    ["a handle that is not E.164", 1002, { chat_id: CHAT, handle: "5551234567" }],
    ["an unknown field", 1003, { chat_id: CHAT, handle: "+15551234567", display_name: "x" }],
    ["a null detail", 1003, null],
  ])("refuses participant.remove.requested with %s (%i)", (_what, code, detail) => {
    expect(codeOf(() => parseParticipantRemoveRequested(detail))).toBe(code);
  });
});
