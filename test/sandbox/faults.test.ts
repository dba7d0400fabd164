import { describe, expect, it } from "vitest";
import {
  LOCAL_WEBHOOK_SECRET,
  SandboxConfigError,
  sandboxOptionsFromEnv,
  type SandboxTruth,
  startSandbox,
} from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, type Receiver, receiverForTest, sandboxForTest } from "./helpers.ts";

/** Fault injection: rates that hold over many requests, and a seed that replays a run exactly. */

const RATES = { failRate: 0.1, rateLimitRate: 0.05, dropRate: 0.1, duplicateRate: 0.1, reorder: 0.1 };

/** `operations` updates spread over four chats through the SDK, faults on, every event to one receiver. */
async function chaosRun(seed: number, operations: number): Promise<{ truth: SandboxTruth; receiver: Receiver }> {
  const receiver = await receiverForTest();
  const sandbox = await sandboxForTest({
    seed,
    ...RATES,
    delayMs: 0,
    reorderWindowMs: 100,
    retryScheduleMs: [5],
    webhookTargets: [{ url: receiver.url, secret: LOCAL_WEBHOOK_SECRET }],
  });
  const linq = linqClient(sandbox);
  const chats = [0, 1, 2, 3].map(() => sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL, DAN] }));
  for (let i = 0; i < operations; i++) {
    const chat = chats[i % chats.length]!;
    const update =
      i % 3 === 0 ? { display_name: `n${i}`, group_chat_icon: `https://x.test/${i}.png` } : { display_name: `n${i}` };
    await linq.chats.update(chat.id, update).catch(() => undefined);
  }
  await sandbox.idle();
  return { truth: sandbox.truth(), receiver };
}

const share = (count: number, total: number): number => count / total;

describe("sandbox faults", () => {
  it("injects each fault at its configured rate over 1000 calls, as the receiver sees it", async () => {
    const { truth, receiver } = await chaosRun(20260219, 1000);

    expect(truth.calls).toHaveLength(1000);
    const rateLimited = truth.calls.filter((call) => call.status === 429);
    const failed = truth.calls.filter((call) => call.status === 500);
    expect(rateLimited.every((call) => call.code === 1007 && call.fault === "rate_limited")).toBe(true);
    expect(failed.every((call) => call.code === 3006)).toBe(true);
    expect(share(rateLimited.length, 1000)).toBeCloseTo(RATES.rateLimitRate, 1);
    expect(Math.abs(share(failed.length, 1000) - RATES.failRate * (1 - RATES.rateLimitRate))).toBeLessThan(0.03);
    // `either` splits the 500s between lost answers (the change happened) and refusals (it did not).
    const lostAnswers = truth.operations.filter((operation) => operation.answer === 500);
    expect(lostAnswers.length).toBe(failed.filter((call) => call.fault === "failed_after").length);
    expect(share(lostAnswers.length, failed.length)).toBeGreaterThan(0.3);
    expect(share(lostAnswers.length, failed.length)).toBeLessThan(0.7);

    const events = truth.events;
    expect(events.length).toBeGreaterThan(1000);
    expect(Math.abs(share(events.filter((e) => e.dropped).length, events.length) - RATES.dropRate)).toBeLessThan(0.03);
    expect(
      Math.abs(share(events.filter((e) => e.duplicated).length, events.length) - RATES.duplicateRate),
    ).toBeLessThan(0.03);
    const held = events.filter((e) => e.held && !e.dropped);
    expect(Math.abs(share(events.filter((e) => e.held).length, events.length) - RATES.reorder)).toBeLessThan(0.03);

    // What the receiver got agrees with the ground truth, event by event.
    const arrivals = new Map<string, number[]>();
    receiver.received.forEach(({ headers }, index) => {
      const id = headers["webhook-id"]!;
      arrivals.set(id, [...(arrivals.get(id) ?? []), index]);
    });
    for (const event of events) {
      const expected = event.dropped ? 0 : event.duplicated ? 2 : 1;
      expect(arrivals.get(event.webhookId)?.length ?? 0, event.eventId).toBe(expected);
    }
    const firstArrival = new Map(events.map((e) => [e.eventId, arrivals.get(e.webhookId)?.[0]]));
    const overtaken = held.filter((event) => event.overtakenBy !== null);
    expect(share(overtaken.length, held.length)).toBeGreaterThan(0.8);
    for (const event of overtaken) {
      const later = events.find((e) => e.eventId === event.overtakenBy)!;
      expect(later.createdAt >= event.createdAt && later.chatId === event.chatId).toBe(true);
      expect(firstArrival.get(later.eventId)!).toBeLessThan(firstArrival.get(event.eventId)!);
    }

    // Outcomes settle for every accepted update, with the state they describe.
    expect(truth.operations.flatMap((o) => o.outcomes).every((outcome) => outcome.status === "applied")).toBe(true);
  });

  it("replays the same sequence for the same seed, and another for another seed", async () => {
    const fingerprint = (truth: SandboxTruth) => ({
      calls: truth.calls.map((call) => [call.path, call.status, call.fault ?? null, call.traceId]),
      events: truth.events.map((e) => [e.eventId, e.webhookId, e.eventType, e.dropped, e.duplicated, e.held]),
      chats: truth.chats.map((chat) => [chat.id, chat.display_name, chat.group_chat_icon]),
    });
    const first = fingerprint((await chaosRun(7, 300)).truth);
    const again = fingerprint((await chaosRun(7, 300)).truth);
    const other = fingerprint((await chaosRun(8, 300)).truth);

    expect(again).toEqual(first);
    expect(other.calls.map(([, status]) => status)).not.toEqual(first.calls.map(([, status]) => status));
    expect(other.events.map(([, , , ...fate]) => fate)).not.toEqual(first.events.map(([, , , ...fate]) => fate));
  });

  it("reports the seed it picked, so a run can be replayed", async () => {
    const sandbox = await sandboxForTest({ seed: undefined });
    expect(Number.isInteger(sandbox.seed)).toBe(true);
    expect(sandbox.truth().seed).toBe(sandbox.seed);
  });
});

describe("sandbox configuration", () => {
  it("reads SANDBOX_* and LINQ_SANDBOX_PORT, with the contract's port by default", () => {
    expect(sandboxOptionsFromEnv({})).toEqual({ port: 3001 });
    expect(
      sandboxOptionsFromEnv({
        LINQ_SANDBOX_PORT: "4001",
        SANDBOX_SEED: "42",
        SANDBOX_FAIL_RATE: "0.1",
        SANDBOX_FAIL_MODE: "after",
        SANDBOX_RATE_LIMIT_RATE: "0.02",
        SANDBOX_DUPLICATE_RATE: "0.2",
        SANDBOX_DROP_RATE: "0.05",
        SANDBOX_REORDER: "true",
        SANDBOX_REORDER_WINDOW_MS: "300",
        SANDBOX_DELAY_MS: "250",
        SANDBOX_RETRY_SCHEDULE_MS: "100, 200,400",
        SANDBOX_API_KEY: "",
        SANDBOX_WEBHOOK_URL: "http://127.0.0.1:3000/webhooks/linq",
      }),
    ).toEqual({
      port: 4001,
      seed: 42,
      failRate: 0.1,
      failMode: "after",
      rateLimitRate: 0.02,
      duplicateRate: 0.2,
      dropRate: 0.05,
      reorder: 1,
      reorderWindowMs: 300,
      delayMs: 250,
      retryScheduleMs: [100, 200, 400],
      webhookTargets: [{ url: "http://127.0.0.1:3000/webhooks/linq", secret: LOCAL_WEBHOOK_SECRET }],
    });
  });

  it("reads the settings for Linq's unknowns", () => {
    expect(
      sandboxOptionsFromEnv({
        SANDBOX_TRACE_LINK: "own",
        SANDBOX_ICON_MODE: "rehost",
        SANDBOX_CHANGED_BY: "absent",
        SANDBOX_CREATING_MS: "2000",
        SANDBOX_REMOVED_HANDLES: "dropped",
      }),
    ).toEqual({
      port: 3001,
      traceLink: "own",
      iconMode: "rehost",
      changedBy: "absent",
      creatingMs: 2000,
      removedHandles: "dropped",
    });
    expect(sandboxOptionsFromEnv({ SANDBOX_CHANGED_BY: "null" })).toMatchObject({ changedBy: "null" });
  });

  it.each([
    ["SANDBOX_TRACE_LINK", "both"],
    ["SANDBOX_ICON_MODE", "copy"],
    ["SANDBOX_CHANGED_BY", "me"],
    ["SANDBOX_CREATING_MS", "soon"],
    ["SANDBOX_REMOVED_HANDLES", "hidden"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    expect(() => sandboxOptionsFromEnv({ [name]: value })).toThrow(SandboxConfigError);
    expect(() => sandboxOptionsFromEnv({ [name]: value })).toThrow(name);
  });

  it.each([
    ["SANDBOX_FAIL_RATE", "1.5"],
    ["SANDBOX_DROP_RATE", "often"],
    ["SANDBOX_REORDER", "sometimes"],
    ["SANDBOX_FAIL_MODE", "sometimes"],
    ["SANDBOX_DELAY_MS", "-1"],
    ["SANDBOX_SEED", "1.5"],
    ["SANDBOX_RETRY_SCHEDULE_MS", "100,,200"],
    ["LINQ_SANDBOX_PORT", "70000"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    expect(() => sandboxOptionsFromEnv({ [name]: value })).toThrow(SandboxConfigError);
    expect(() => sandboxOptionsFromEnv({ [name]: value })).toThrow(name);
  });

  it("refuses bad options to startSandbox", async () => {
    await expect(startSandbox({ failRate: 2 })).rejects.toThrow(/failRate/);
    await expect(startSandbox({ iconMode: "copy" as never })).rejects.toThrow(/iconMode must be one of echo, rehost/);
    await expect(startSandbox({ creatingMs: -1 })).rejects.toThrow(/creatingMs/);
    await expect(startSandbox({ webhookTargets: [{ url: "http://x.test", secret: "nope" }] })).rejects.toThrow(
      /secret/,
    );
  });
});
