/**
 * The Linq probe against `npm start`'s stack, in each world the sandbox can play: what it reports is what the sandbox
 * was set to do, read from the evidence on the records alone.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LocalStack } from "../../local/stack.ts";
import type { SandboxOptions } from "../../local/sandbox/index.ts";
import { probe, type PartFinding } from "../../scripts/linq-probe.ts";
import { startFreshStack } from "../support/eventbridge.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function probeIn(world: SandboxOptions): Promise<{ findings: PartFinding[]; conclusions: string[] }> {
  stack = await startFreshStack({ sandbox: { delayMs: 20, ...world } });
  const chat = stack.sandbox!.seedChat({
    handles: ["+15550700001", "+15550700002", "+15550700003", "+15550700004"],
    display_name: "Before the probe",
    group_chat_icon: "https://example.com/before.png",
  });
  const report = await probe({
    url: stack.url,
    token: stack.apiToken,
    chatId: chat.id,
    icon: "https://example.com/probe.png",
    removeHandle: "+15550700004",
    failAfterSeconds: 1800,
    timeoutMs: 10_000,
    pollMs: 100,
    log: () => {},
  });
  // Reversible: the name and icon are back as they were.
  const after = stack.sandbox!.truth().chats.find((c) => c.id === chat.id)!;
  expect(after.display_name).toBe("Before the probe");
  if (world.iconMode !== "rehost") expect(after.group_chat_icon).toBe("https://example.com/before.png");
  return report;
}

describe("npm run linq:probe", () => {
  it("in the default world: trace ids linked, our line named, icons echoed, a removal proven", async () => {
    const { findings, conclusions } = await probeIn({});
    expect(findings.map((f) => [f.part, f.status, f.traceLinked, f.changedBy])).toEqual([
      ["display_name", "succeeded", true, "our line"],
      ["display_name", "succeeded", true, "our line"],
      ["group_chat_icon", "succeeded", true, "our line"],
      ["group_chat_icon", "succeeded", true, "our line"],
      ["participant", "succeeded", true, "absent"],
    ]);
    expect(findings.every((f) => f.basis === "proven")).toBe(true);
    expect(conclusions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Webhook trace_id is the request's X-Trace-ID/),
        "changed_by_handle for our own changes: our line.",
        "Icons are echoed: the event names the URL we sent.",
        expect.stringMatching(/^RECONCILE_FAIL_AFTER_SECONDS=1800 fits/),
      ]),
    );
  });

  it("with events of their own trace ids, no changed_by_handle and re-hosted icons: it says so", async () => {
    const { findings, conclusions } = await probeIn({ traceLink: "own", changedBy: "absent", iconMode: "rehost" });
    expect(findings.every((f) => f.status === "succeeded" && f.traceLinked === false)).toBe(true);
    expect(findings.filter((f) => f.part === "group_chat_icon").map((f) => f.echoed)).toEqual([false, false]);
    expect(conclusions).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Webhook trace_id is NOT the request's X-Trace-ID/),
        "changed_by_handle for our own changes: absent.",
        expect.stringMatching(/^ {2}So a change matched by value alone is recorded inferred/),
        expect.stringMatching(/^Icons are re-hosted by Linq/),
      ]),
    );
  });

  it("with changed_by_handle null for our changes: it says so", async () => {
    const { conclusions } = await probeIn({ changedBy: "null" });
    expect(conclusions).toContain("changed_by_handle for our own changes: null.");
  });
});
