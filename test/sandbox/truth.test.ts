import { APIError, InternalServerError } from "@linqapp/sdk";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { LOCAL_WEBHOOK_SECRET, type SandboxOptions } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, DAN, linqClient, ME, receiverForTest, sandboxForTest } from "./helpers.ts";

/** The ground truth a chaos test judges a service by: every accepted call's real outcome, by its X-Trace-ID. */

async function run(options: SandboxOptions) {
  const receiver = await receiverForTest();
  const sandbox = await sandboxForTest({
    webhookTargets: [{ url: receiver.url, secret: LOCAL_WEBHOOK_SECRET }],
    ...options,
  });
  const verifier = new Webhook(LOCAL_WEBHOOK_SECRET);
  const delivered = () =>
    receiver.received.map(
      ({ body, headers }) =>
        verifier.verify(body, headers) as { event_type: string; event_id: string; trace_id: string },
    );
  return { sandbox, linq: linqClient(sandbox), delivered };
}

/** The X-Trace-ID of a call that the SDK turned into an error. */
async function failedTrace(call: Promise<unknown>): Promise<string> {
  const error = (await call.then(
    () => expect.fail("expected a 500"),
    (thrown: unknown) => thrown,
  )) as APIError;
  expect(error).toBeInstanceOf(InternalServerError);
  return error.headers!.get("x-trace-id")!;
}

describe("a 500 after the work, then the client's retry", () => {
  it("an update accepted twice: two operations, each with its own outcome and its own failure event", async () => {
    const { sandbox, linq, delivered } = await run({ failRate: 1, failMode: "after" });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
    const first = await failedTrace(linq.chats.update(chat.id, { display_name: "fail: no luck" }));
    const retry = await failedTrace(linq.chats.update(chat.id, { display_name: "fail: no luck" }));
    await sandbox.idle();

    expect(retry).not.toBe(first);
    const { traces } = sandbox.truth();
    for (const traceId of [first, retry]) {
      expect(traces[traceId]).toMatchObject({
        kind: "chat.update",
        chatId: chat.id,
        answer: 500,
        request: { display_name: "fail: no luck" },
        parts: [
          {
            part: "display_name",
            status: "failed",
            errorCode: 4001,
            eventType: "chat.group_name_update_failed",
            eventDropped: false,
            eventDelivered: true,
          },
        ],
      });
    }
    expect(traces[first]!.eventIds).not.toEqual(traces[retry]!.eventIds);
    expect(delivered().map((event) => [event.event_type, event.event_id, event.trace_id])).toEqual([
      ["chat.group_name_update_failed", traces[first]!.eventIds[0], first],
      ["chat.group_name_update_failed", traces[retry]!.eventIds[0], retry],
    ]);
  });

  it("a removal accepted twice: the first removes, the second finds nobody to remove and never happens", async () => {
    const { sandbox, linq, delivered } = await run({ failRate: 1, failMode: "after", delayMs: 50 });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });
    const first = await failedTrace(linq.chats.participants.remove(chat.id, { handle: CAROL }));
    const retry = await failedTrace(linq.chats.participants.remove(chat.id, { handle: CAROL }));
    await sandbox.idle();

    const { traces, chats } = sandbox.truth();
    expect(traces[first]).toMatchObject({
      kind: "participant.remove",
      answer: 500,
      parts: [{ part: "participant", status: "applied", eventType: "participant.removed", eventDropped: false }],
    });
    expect(traces[retry]).toMatchObject({
      kind: "participant.remove",
      answer: 500,
      parts: [{ part: "participant", status: "never", reason: "no longer a participant" }],
      eventIds: [],
    });
    expect(delivered().map((event) => event.trace_id)).toEqual([first]);
    expect(chats[0]?.handles.find((h) => h.handle === CAROL)?.status).toBe("removed");
  });
});

describe("truth().traces and humanChanges", () => {
  it("judge every accepted call of a faulty run by its X-Trace-ID, and list people's changes apart", async () => {
    const { sandbox, linq, delivered } = await run({
      seed: 5,
      failRate: 0.3,
      rateLimitRate: 0.1,
      dropRate: 0.3,
      delayMs: 0,
    });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL, DAN] });
    for (let i = 0; i < 40; i++) {
      const icon = i % 4 === 0 ? "https://example.com/fail.png" : `https://example.com/${i}.png`;
      await linq.chats
        .update(chat.id, { display_name: i % 5 === 0 ? `fail: ${i}` : `n${i}`, group_chat_icon: icon })
        .catch(() => {});
      await sandbox.idle(); // one at a time, so the last applied value is the one shown
    }
    sandbox.humanRename(chat.id, "Theirs", DAN);
    await sandbox.idle();
    const truth = sandbox.truth();

    // Exactly the calls that were accepted have a judged operation, under their trace id, with what the caller saw.
    const accepted = truth.calls.filter((call) => call.status === 200 || call.fault === "failed_after");
    expect(accepted.length).toBeGreaterThan(10);
    expect(truth.calls.some((call) => call.fault === "failed_after")).toBe(true);
    expect(Object.keys(truth.traces).sort()).toEqual(accepted.map((call) => call.traceId).sort());
    for (const call of accepted) expect(truth.traces[call.traceId]?.answer).toBe(call.status);

    // Each part's fate is that of its event, and what the receiver saw agrees.
    const received = new Set(delivered().map((event) => event.event_id));
    const judged = [...Object.values(truth.traces), ...truth.humanChanges];
    for (const part of judged.flatMap((operation) => operation.parts)) {
      expect(part.status === "applied" || part.status === "failed").toBe(true);
      const event = truth.events.find((candidate) => candidate.eventId === part.eventId)!;
      expect(part).toMatchObject({ eventType: event.eventType, eventDropped: event.dropped });
      expect(part.eventDelivered).toBe(received.has(event.eventId));
      expect(part.eventDelivered).toBe(!event.dropped);
      if (part.status === "failed") expect(part.errorCode).toBe(4001);
    }
    expect(truth.events.some((event) => event.dropped)).toBe(true);

    // People's changes are listed as theirs, with no trace id; the final state is the last applied value.
    expect(truth.humanChanges).toEqual([
      expect.objectContaining({
        kind: "human.rename",
        traceId: undefined,
        request: { display_name: "Theirs", by: DAN },
      }),
    ]);
    const lastIcon = judged
      .flatMap((operation) => operation.parts)
      .filter((part) => part.part === "group_chat_icon" && part.status === "applied")
      .at(-1);
    expect(truth.chats[0]).toMatchObject({ display_name: "Theirs", group_chat_icon: lastIcon?.value });
  });
});

describe("truthRecords", () => {
  it("keeps only the latest records of each kind, numbered as if none were forgotten", async () => {
    const { sandbox, linq } = await run({ truthRecords: 2 });
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB] });
    for (const name of ["One", "Two", "Three"]) {
      await linq.chats.update(chat.id, { display_name: name });
      await sandbox.idle();
    }

    const truth = sandbox.truth();
    expect(truth.calls.map((call) => call.seq)).toEqual([2, 3]);
    expect(truth.operations.map((operation) => [operation.seq, operation.request])).toEqual([
      [2, { display_name: "Two" }],
      [3, { display_name: "Three" }],
    ]);
    expect(truth.events.map((event) => event.data["new_value"])).toEqual(["Two", "Three"]);
    expect(truth.deliveries.map((delivery) => delivery.eventId)).toEqual(truth.events.map((event) => event.eventId));
    expect(Object.values(truth.traces).map((operation) => operation.operationSeq)).toEqual([2, 3]);
    expect(truth.chats[0]?.display_name).toBe("Three");
  });

  it("refuses to keep fewer than one", async () => {
    await expect(sandboxForTest({ truthRecords: 0 })).rejects.toThrow(/truthRecords must be an integer from 1/);
  });
});
