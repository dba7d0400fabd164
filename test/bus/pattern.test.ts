import { describe, expect, it } from "vitest";
import { requestPattern } from "../../src/definitions/events.ts";
import { matchesPattern, patternProblem, type EventPattern } from "../../local/bus/pattern.ts";

// The sample event of EventBridge's and event-ruler's documentation.
const ec2 = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...ec2, detail });
const matches = (pattern: EventPattern, event: unknown = ec2) => matchesPattern(pattern, event);

describe("exact matching", () => {
  it("matches when every named field has one of its values, ignoring fields the pattern does not name", () => {
    expect(matches({ source: ["aws.ec2"] })).toBe(true);
    expect(matches({ source: ["aws.s3", "aws.ec2"], detail: { state: ["initializing", "running"] } })).toBe(true);
    expect(matches({})).toBe(true);
  });

  it("fails when any named field has none of its values", () => {
    expect(matches({ source: ["aws.ec2"], detail: { state: ["stopped"] } })).toBe(false);
    expect(matches({ source: ["aws.s3"] })).toBe(false);
  });

  it("is case-sensitive and type-sensitive", () => {
    expect(matches({ source: ["AWS.EC2"] })).toBe(false);
    expect(matches({ detail: { "c-count": [5] } })).toBe(true);
    expect(matches({ detail: { "c-count": ["5"] } })).toBe(false);
    expect(matches({ flag: [true] }, { flag: true })).toBe(true);
    expect(matches({ flag: ["true"] }, { flag: true })).toBe(false);
    expect(matches({ flag: [false] }, { flag: true })).toBe(false);
  });

  it("matches null and the empty string, but not a missing field", () => {
    expect(matches({ detail: { name: [null] } }, withDetail({ name: null }))).toBe(true);
    expect(matches({ detail: { name: [null] } }, withDetail({}))).toBe(false);
    expect(matches({ detail: { name: [""] } }, withDetail({ name: "" }))).toBe(true);
    expect(matches({ detail: { name: [""] } }, withDetail({ name: null }))).toBe(false);
  });

  it("requires the nesting of the pattern", () => {
    expect(matches({ state: ["running"] })).toBe(false);
    expect(matches({ detail: { state: ["running"] } }, { detail: "running" })).toBe(false);
    expect(matches({ detail: { instance: { state: ["on"] } } }, withDetail({ instance: { state: "on" } }))).toBe(true);
    expect(matches({ detail: { instance: { state: ["on"] } } }, withDetail({ instance: { state: "off" } }))).toBe(
      false,
    );
  });

  it("routes a request detail-type to its subscriber only", () => {
    const event = { ...ec2, "detail-type": "chat.update.requested" };
    expect(matches(requestPattern("chat.update.requested"), event)).toBe(true);
    expect(matches(requestPattern("participant.remove.requested"), event)).toBe(false);
  });
});

describe("arrays in the event", () => {
  it("match when any element matches (non-empty intersection)", () => {
    expect(matches({ resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"] })).toBe(true);
    expect(matches({ resources: ["arn:other"] })).toBe(false);
    expect(matches({ detail: { tags: ["b", "z"] } }, withDetail({ tags: ["a", "b"] }))).toBe(true);
    expect(matches({ detail: { tags: [{ prefix: "x" }] } }, withDetail({ tags: ["a", "b"] }))).toBe(false);
    expect(matches({ detail: { tags: ["c"] } }, withDetail({ tags: [["a"], ["b", ["c"]]] }))).toBe(true);
  });

  it("crush arrays of objects, keeping sibling fields within one element", () => {
    const event = withDetail({
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
        { firstName: "Peter", lastName: "Jones" },
      ],
    });
    expect(matches({ detail: { employees: { firstName: ["Anna"] } } }, event)).toBe(true);
    expect(matches({ detail: { employees: { firstName: ["Anna"], lastName: ["Smith"] } } }, event)).toBe(true);
    expect(matches({ detail: { employees: { firstName: ["Anna"], lastName: ["Jones"] } } }, event)).toBe(false);
  });

  it("treat an empty array as no value", () => {
    expect(matches({ detail: { tags: [{ exists: true }] } }, withDetail({ tags: [] }))).toBe(false);
    expect(matches({ detail: { tags: [{ exists: false }] } }, withDetail({ tags: [] }))).toBe(true);
  });
});

describe("prefix, suffix, equals-ignore-case, wildcard", () => {
  it("prefix matches the start of a string, optionally ignoring case", () => {
    expect(matches({ time: [{ prefix: "2017-10-02" }] })).toBe(true);
    expect(matches({ time: [{ prefix: "2017-10-03" }] })).toBe(false);
    expect(matches({ source: [{ prefix: { "equals-ignore-case": "AWS." } }] })).toBe(true);
    expect(matches({ source: [{ prefix: "AWS." }] })).toBe(false);
  });

  it("suffix matches the end of a string, optionally ignoring case", () => {
    expect(matches({ source: [{ suffix: "ec2" }] })).toBe(true);
    expect(matches({ source: [{ suffix: "EC2" }] })).toBe(false);
    expect(matches({ source: [{ suffix: { "equals-ignore-case": "EC2" } }] })).toBe(true);
  });

  it("equals-ignore-case compares whole strings regardless of case", () => {
    expect(matches({ source: [{ "equals-ignore-case": "AWS.EC2" }] })).toBe(true);
    expect(matches({ source: [{ "equals-ignore-case": "AWS.EC" }] })).toBe(false);
  });

  it("only applies to strings", () => {
    expect(matches({ detail: { "c-count": [{ prefix: "5" }] } })).toBe(false);
    expect(matches({ detail: { "c-count": [{ suffix: "5" }] } })).toBe(false);
    expect(matches({ detail: { "c-count": [{ "equals-ignore-case": "5" }] } })).toBe(false);
    expect(matches({ detail: { "c-count": [{ wildcard: "*" }] } })).toBe(false);
  });

  it("wildcard: * is any run of characters, \\* a literal star", () => {
    expect(matches({ "detail-type": [{ wildcard: "EC2*Notification" }] })).toBe(true);
    expect(matches({ "detail-type": [{ wildcard: "*State*" }] })).toBe(true);
    expect(matches({ "detail-type": [{ wildcard: "EC2*" }] })).toBe(true);
    expect(matches({ "detail-type": [{ wildcard: "*EC2" }] })).toBe(false);
    expect(matches({ detail: { f: [{ wildcard: "a\\*c" }] } }, withDetail({ f: "a*c" }))).toBe(true);
    expect(matches({ detail: { f: [{ wildcard: "a\\*c" }] } }, withDetail({ f: "abc" }))).toBe(false);
    expect(matches({ detail: { f: [{ wildcard: "a.c" }] } }, withDetail({ f: "abc" }))).toBe(false);
  });
});

describe("anything-but", () => {
  it("excludes a single string or number", () => {
    expect(matches({ detail: { state: [{ "anything-but": "initializing" }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": "running" }] } })).toBe(false);
    expect(matches({ detail: { "x-limit": [{ "anything-but": 123 }] } })).toBe(true);
    expect(matches({ detail: { "x-limit": [{ "anything-but": 301.8 }] } })).toBe(false);
  });

  it("excludes a list", () => {
    expect(matches({ detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": ["stopped", "running"] }] } })).toBe(false);
    expect(matches({ detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } })).toBe(true);
    expect(matches({ detail: { "c-count": [{ "anything-but": [4, 5] }] } })).toBe(false);
  });

  it("excludes a prefix, a suffix, a case-insensitive value or a wildcard", () => {
    expect(matches({ detail: { state: [{ "anything-but": { prefix: "init" } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": { prefix: "run" } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": { suffix: "ing" } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": { suffix: "ed" } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": { "equals-ignore-case": "RUNNING" } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": { "equals-ignore-case": ["A", "B"] } }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": { wildcard: "r*g" } }] } })).toBe(false);
  });

  it("needs the field to be present", () => {
    expect(matches({ detail: { missing: [{ "anything-but": "x" }] } })).toBe(false);
  });

  it("on an event array matches when some element is not excluded", () => {
    expect(matches({ detail: { tags: [{ "anything-but": "a" }] } }, withDetail({ tags: ["a", "b"] }))).toBe(true);
    expect(matches({ detail: { tags: [{ "anything-but": "a" }] } }, withDetail({ tags: ["a", "a"] }))).toBe(false);
  });
});

describe("numeric", () => {
  it("matches ranges and equality on JSON numbers", () => {
    expect(matches({ detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } })).toBe(true);
    expect(matches({ detail: { "c-count": [{ numeric: [">", 0, "<", 5] }] } })).toBe(false);
    expect(matches({ detail: { "d-count": [{ numeric: ["<", 10] }] } })).toBe(true);
    expect(matches({ detail: { "d-count": [{ numeric: [">=", 3] }] } })).toBe(true);
    expect(matches({ detail: { "d-count": [{ numeric: [">", 3] }] } })).toBe(false);
    expect(matches({ detail: { "x-limit": [{ numeric: ["=", 3.018e2] }] } })).toBe(true);
  });

  it("does not match strings that look like numbers, or missing fields", () => {
    expect(matches({ detail: { n: [{ numeric: [">", 0] }] } }, withDetail({ n: "5" }))).toBe(false);
    expect(matches({ detail: { n: [{ numeric: [">", 0] }] } }, withDetail({}))).toBe(false);
  });
});

describe("exists", () => {
  it("tests the presence of a leaf field", () => {
    expect(matches({ detail: { "c-count": [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { "c-count": [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { missing: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { missing: [{ exists: true }] } })).toBe(false);
    expect(matches({ detail: { name: [{ exists: true }] } }, withDetail({ name: null }))).toBe(true);
  });

  it("does not see intermediate nodes, as documented", () => {
    const event = withDetail({ "c-count": { c1: 100 } });
    expect(matches({ detail: { "c-count": [{ exists: false }] } }, event)).toBe(true);
    expect(matches({ detail: { "c-count": [{ exists: true }] } }, event)).toBe(false);
  });

  it("exists: false holds when a parent is missing altogether", () => {
    expect(matches({ detail: { deep: { field: [{ exists: false }] } } })).toBe(true);
  });
});

describe("combinations", () => {
  it("ORs the values of a field and ANDs the fields: the documented complex example", () => {
    const pattern: EventPattern = {
      time: [{ prefix: "2017-10-02" }],
      detail: {
        state: [{ "anything-but": "initializing" }],
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ "anything-but": [100, 200, 300] }],
      },
    };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, withDetail({ ...ec2.detail, "d-count": 10 }))).toBe(false);
    expect(matches({ detail: { state: ["stopped", { prefix: "run" }] } })).toBe(true);
  });

  it("$or matches when any alternative does", () => {
    const pattern: EventPattern = {
      source: ["aws.ec2"],
      $or: [{ detail: { state: ["stopped"] } }, { detail: { "c-count": [{ numeric: [">", 4] }] } }],
    };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, withDetail({ state: "running", "c-count": 1 }))).toBe(false);
    expect(matches(pattern, withDetail({ state: "stopped" }))).toBe(true);
  });

  it("treats $or holding values as an ordinary field name", () => {
    expect(matches({ $or: ["x"] }, { $or: "x" })).toBe(true);
    expect(matches({ $or: ["x"] }, { other: "x" })).toBe(false);
  });
});

describe("patternProblem", () => {
  it("accepts valid patterns", () => {
    expect(patternProblem(requestPattern("chat.update.requested"))).toBeUndefined();
    expect(
      patternProblem({
        a: ["x", 1, true, null, { prefix: "p" }, { suffix: { "equals-ignore-case": "s" } }, { exists: false }],
        b: { c: [{ numeric: [">=", 0, "<", 10] }, { "anything-but": { prefix: "x" } }, { wildcard: "a*b\\*" }] },
        $or: [{ d: ["1"] }, { e: ["2"] }],
      }),
    ).toBeUndefined();
  });

  it.each([
    [{ "detail-type": "chat.update.requested" }, /detail-type must be an array/],
    [{ a: [] }, /empty array/],
    [{ a: [{ prefix: 1 }] }, /prefix takes/],
    [{ a: [{ prefix: "a", suffix: "b" }] }, /exactly one operator/],
    [{ a: [{ contains: "x" }] }, /unsupported operator contains/],
    [{ a: [{ numeric: [">", "1"] }] }, /numeric takes/],
    [{ a: [{ numeric: [">", 5, ">", 1] }] }, /numeric takes/],
    [{ a: [{ numeric: [">", 5, "<", 1] }] }, /empty/],
    [{ a: [{ "anything-but": ["x", 1] }] }, /only strings or only numbers/],
    [{ a: [{ "anything-but": { numeric: [">", 1] } }] }, /anything-but takes/],
    [{ a: [{ wildcard: "a**" }] }, /consecutive/],
    [{ a: [{ wildcard: "a\\b" }] }, /escape/],
    [{ a: [{ exists: "yes" }] }, /exists takes/],
    [{ $or: [{ a: ["1"] }] }, /two alternatives/],
    [["x"], /JSON object/],
  ])("refuses %j", (pattern, problem) => {
    expect(patternProblem(pattern)).toMatch(problem);
  });
});
