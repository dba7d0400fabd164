import { describe, expect, it } from "vitest";
import { requestPattern } from "../../src/definitions/events.ts";
import { matchesPattern, patternProblem } from "../../local/bus/pattern.ts";

const event = (detailType: unknown) => ({
  version: "0",
  id: "e1",
  "detail-type": detailType,
  source: "com.example.crm",
  resources: ["arn:a", "arn:b"],
  detail: { chat_id: "c1" },
});

describe("matchesPattern", () => {
  it("matches when every named top-level field holds one of its values, exactly", () => {
    const pattern = requestPattern("chat.update.requested");
    expect(matchesPattern(pattern, event("chat.update.requested"))).toBe(true);
    expect(matchesPattern(pattern, event("participant.remove.requested"))).toBe(false);
    expect(matchesPattern(pattern, event("Chat.Update.Requested"))).toBe(false);
    expect(matchesPattern(pattern, event(undefined))).toBe(false);
    expect(matchesPattern(pattern, event(["chat.update.requested"]))).toBe(true);
    expect(matchesPattern({ source: ["a", "com.example.crm"], resources: ["arn:b"] }, event("x"))).toBe(true);
    expect(matchesPattern({ source: ["com.example.crm"], "detail-type": ["y"] }, event("x"))).toBe(false);
    expect(matchesPattern({ constructor: ["x"] }, event("x"))).toBe(false);
  });
});

describe("patternProblem", () => {
  it("accepts the project's patterns", () => {
    expect(patternProblem(requestPattern("chat.update.requested"))).toBeUndefined();
    expect(patternProblem({ "detail-type": ["a", "b"], source: ["c"] })).toBeUndefined();
  });

  it.each([
    [{ "detail-type": "chat.update.requested" }, /detail-type must be an array of exact string values/],
    [{ "detail-type": [] }, /detail-type must be an array/],
    [{ "detail-type": [{ prefix: "chat." }] }, /only that part of EventBridge's pattern grammar/],
    [{ detail: { chat_id: ["c1"] } }, /detail must be an array/],
    [{ a: [1] }, /a must be an array of exact string values/],
    [{}, /at least one field/],
    [["x"], /JSON object/],
  ])("refuses %j", (pattern, problem) => {
    expect(patternProblem(pattern)).toMatch(problem);
  });
});
