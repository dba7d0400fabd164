import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { LOCAL_WEBHOOK_SECRET, type Sandbox, type SandboxOptions } from "../../local/sandbox/index.ts";
import { ALICE, BOB, CAROL, linqClient, ME, receiverForTest, sandboxForTest } from "./helpers.ts";

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
