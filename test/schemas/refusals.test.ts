/**
 * Every refusal the request schemas can give, with Linq's code and the exact message a caller reads: the answers the
 * hand-written validators gave before the schemas replaced them, byte for byte, and the order in which they are given
 * when an input has several problems (Linq reports the first).
 */
import { describe, expect, it } from "vitest";
import { ServiceError } from "../../src/domain/errors.ts";
import {
  parseChatId,
  parseChatUpdate,
  parseChatUpdateRequested,
  parseIdempotencyKey,
  parseListLimit,
  parseParticipantRemove,
  parseParticipantRemoveRequested,
  parseTraceId,
} from "../../src/domain/validation.ts";
import { refusal, refusalOf } from "../../src/schemas/refusal.ts";
import * as requests from "../../src/schemas/requests.ts";
import { CHAT } from "../fakes/world.ts";

function answerTo(parse: () => unknown): [number, number, string] {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    const { status, code, message } = error as ServiceError;
    return [status, code, message];
  }
  throw new Error("expected the input to be refused");
}

describe("the path, query and header", () => {
  it.each([
    ["a chat id that is not a UUID", () => parseChatId("chat-1"), 1005, "chatId must be a UUID"],
    ["a chat id that is not a string", () => parseChatId(42), 1005, "chatId must be a UUID"],
    ["a trace id with a slash", () => parseTraceId("a/b"), 1005, "traceId is not a valid trace id"],
    ["a limit of 0", () => parseListLimit("0"), 1005, "limit must be an integer from 1 to 100"],
    ["a limit in words", () => parseListLimit("ten"), 1005, "limit must be an integer from 1 to 100"],
    [
      "a limit too long to be a number (Infinity)",
      () => parseListLimit("9".repeat(309)),
      1005,
      "limit must be an integer from 1 to 100",
    ],
    ["an empty Idempotency-Key", () => parseIdempotencyKey(""), 1005, "Idempotency-Key must be 1 to 255 characters"],
    ["a numeric Idempotency-Key", () => parseIdempotencyKey(7), 1005, "Idempotency-Key must be 1 to 255 characters"],
  ])("%s", (_what, parse, code, message) => {
    expect(answerTo(parse)).toEqual([400, code, message]);
  });
});

describe("the update body", () => {
  it.each([
    ["not an object", [], 1003, "Request body must be a JSON object"],
    ["unknown fields, all named", { topic: "x", display_name: "", owner: 1 }, 1003, "Unknown field: topic, owner"],
    ["a name that is not a string", { display_name: null }, 1003, "display_name must be a string"],
    ["an empty name", { display_name: "  " }, 1005, "display_name must not be empty"],
    ["a long name", { display_name: "n".repeat(256) }, 1005, "display_name must be at most 255 characters"],
    ["a control character", { display_name: "a\u007fb" }, 1005, "display_name must not contain control characters"],
    ["an icon that is not a string", { group_chat_icon: 1 }, 1003, "group_chat_icon must be a string"],
    [
      "a long icon",
      { group_chat_icon: `https://x.test/${"a".repeat(2048)}` },
      1005,
      "group_chat_icon must be at most 2048 characters",
    ],
    ["an icon that is not a URL", { group_chat_icon: "a.png" }, 1005, "group_chat_icon must be a URL"],
    ["an http icon", { group_chat_icon: "http://x.test/a.png" }, 1005, "group_chat_icon must be an https URL"],
    [
      "the name's problem before the icon's",
      { group_chat_icon: "a.png", display_name: "" },
      1005,
      "display_name must not be empty",
    ],
    ["neither field", {}, 1001, "At least one of display_name or group_chat_icon is required"],
  ])("%s", (_what, body, code, message) => {
    expect(answerTo(() => parseChatUpdate(body))).toEqual([400, code, message]);
  });
});

describe("the removal body", () => {
  it.each([
    ["no handle", {}, 1001, "handle is required"],
    ["a null handle", { handle: null }, 1001, "handle is required"],
    ["a handle that is not a string", { handle: 15551234567 }, 1003, "handle must be a string"],
    ["a malformed email", { handle: "a@b" }, 1005, "handle is not a valid email address"],
    ["a number without its plus", { handle: "15551234567" }, 1002, "Phone number must be in E.164 format"],
    ["an unknown field before the handle's problem", { handle: "", why: 1 }, 1003, "Unknown field: why"],
  ])("%s", (_what, body, code, message) => {
    expect(answerTo(() => parseParticipantRemove(body))).toEqual([400, code, message]);
  });
});

describe("the request events' details: the key, then the chat, then the body's rules", () => {
  it.each([
    ["a bad key before a missing chat", { idempotency_key: "" }, 1005, "Idempotency-Key must be 1 to 255 characters"],
    ["a missing chat before an unknown field", { topic: "x" }, 1001, "chat_id is required"],
    ["an empty chat", { chat_id: "", display_name: "x" }, 1001, "chat_id is required"],
    ["a chat that is not a UUID", { chat_id: "c", display_name: "x" }, 1005, "chatId must be a UUID"],
    ["an unknown field", { chat_id: CHAT, handle: "+15551234567" }, 1003, "Unknown field: handle"],
    [
      "nothing to change",
      { chat_id: CHAT, idempotency_key: null },
      1001,
      "At least one of display_name or group_chat_icon is required",
    ],
  ])("chat.update.requested with %s", (_what, detail, code, message) => {
    expect(answerTo(() => parseChatUpdateRequested(detail))).toEqual([400, code, message]);
  });

  it.each([
    ["no handle", { chat_id: CHAT }, 1001, "handle is required"],
    [
      "an update's field",
      { chat_id: CHAT, handle: "+15551234567", display_name: "x" },
      1003,
      "Unknown field: display_name",
    ],
  ])("participant.remove.requested with %s", (_what, detail, code, message) => {
    expect(answerTo(() => parseParticipantRemoveRequested(detail))).toEqual([400, code, message]);
  });
});

describe("the mapping from a schema's issue to Linq's answer", () => {
  it("splits the code off the message it was written with", () => {
    const error = refusalOf({ message: refusal(1002, "Phone number must be in E.164 format") });
    expect([error.status, error.code, error.message]).toEqual([400, 1002, "Phone number must be in E.164 format"]);
  });

  it("answers an issue written without a code as a malformed body, with its message", () => {
    const error = refusalOf({ message: "Invalid type: Expected string but received 7" });
    expect([error.code, error.message]).toEqual([1003, "Invalid type: Expected string but received 7"]);
  });
});

describe("every check a caller's input meets", () => {
  /** Each step of a schema that can refuse (it has a `message` slot), with where it sits. */
  function refusingSteps(node: unknown, at: string): [string, unknown][] {
    if (typeof node !== "object" || node === null) return [];
    const step = node as Record<string, unknown>;
    const own: [string, unknown][] = "message" in step ? [[`${at} ${String(step.type)}`, step.message]] : [];
    const inner = [
      ...((step.pipe as unknown[] | undefined) ?? []).map((child, i) => refusingSteps(child, `${at}[${i}]`)),
      refusingSteps(step.wrapped, at),
      refusingSteps(step.item, at),
      ...Object.entries((step.entries as Record<string, unknown> | undefined) ?? {}).map(([key, child]) =>
        refusingSteps(child, `${at}.${key}`),
      ),
    ];
    return [...own, ...inner.flat()];
  }

  it("is refused with a Linq code and message of ours, never a library's default text", () => {
    const schemas = Object.entries(requests).filter(([, value]) => typeof value === "object" && value !== null);
    const steps = schemas.flatMap(([name, schema]) => refusingSteps(schema, name));
    expect(steps.length).toBeGreaterThan(20);
    expect(steps.filter(([, message]) => message === undefined).map(([where]) => where)).toEqual([]);
  });
});
