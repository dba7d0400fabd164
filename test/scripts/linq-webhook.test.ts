/**
 * `npm run linq:webhook` against the Linq sandbox: the subscription it makes, the secret it prints (which verifies
 * the sandbox's signed deliveries), list, delete, and a rotation walked through to its end with no event lost.
 */
import { spawn } from "node:child_process";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../local/sandbox/index.ts";
import { main, WEBHOOK_VERSION } from "../../scripts/linq-webhook.ts";
import { OUTCOME_EVENT_TYPES } from "../../src/domain/linq-events.ts";
import {
  ALICE,
  BOB,
  CAROL,
  linqClient,
  ME,
  receiverForTest,
  sandboxForTest,
  type Receiver,
} from "../sandbox/helpers.ts";

interface Run {
  code: number;
  out: string[];
  err: string[];
}

async function webhook(sandbox: Sandbox, ...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { LINQ_API_V3_API_KEY: "test-key", LINQ_API_V3_BASE_URL: sandbox.url };
  const code = await main(argv, { env, out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

/** The command as `npm run` runs it: its own process, its own exit code. */
function webhookProcess(env: Record<string, string>, ...argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/linq-webhook.ts", ...argv], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out: lines(stdout), err: lines(stderr) }));
  });
}

const lines = (text: string) => text.split("\n").filter((line) => line.length > 0);

function secretIn(run: Run): string {
  const secret = run.out.join("\n").match(/whsec_[A-Za-z0-9+/=]+/)?.[0];
  if (secret === undefined) throw new Error(`no secret printed:\n${run.out.join("\n")}`);
  return secret;
}

/** Renames a group chat as a person would: Linq sends chat.group_name_updated to every subscription. */
async function renameAndDeliver(sandbox: Sandbox, chatId: string, name: string): Promise<void> {
  sandbox.humanRename(chatId, name);
  await sandbox.idle();
}

/** Deliveries of one event id that verify with a secret. */
function verifiedWith(receiver: Receiver, secret: string, name: string): number {
  const verifier = new Webhook(secret);
  return receiver.received.filter((delivery) => {
    if (!delivery.body.includes(name)) return false;
    try {
      verifier.verify(delivery.body, delivery.headers);
      return true;
    } catch {
      return false;
    }
  }).length;
}

describe("npm run linq:webhook", () => {
  it("create: subscribes exactly the events the service reads, pinned to its version, and prints the secret once with the command to store it", async () => {
    const sandbox = await sandboxForTest();
    const run = await webhookProcess(
      { LINQ_API_V3_API_KEY: "test-key", LINQ_API_V3_BASE_URL: sandbox.url },
      "create",
      "--url",
      "https://api.example.com/webhooks/linq",
      "--stage",
      "prod",
    );
    expect(run).toMatchObject({ code: 0, err: [] });
    const secret = secretIn(run);
    expect(run.out).toContain(`  npx sst secret set LinqWebhookSecret ${secret} --stage prod`);
    expect(run.out).toContain("  npx sst deploy --stage prod");

    const [subscription, ...others] = sandbox.truth().subscriptions;
    expect(others).toEqual([]);
    expect(subscription).toMatchObject({
      target_url: `https://api.example.com/webhooks/linq?version=${WEBHOOK_VERSION}`,
      subscribed_events: [...OUTCOME_EVENT_TYPES],
      is_active: true,
    });
    expect(OUTCOME_EVENT_TYPES).toEqual([
      "chat.group_name_updated",
      "chat.group_icon_updated",
      "chat.group_name_update_failed",
      "chat.group_icon_update_failed",
      "participant.removed",
    ]);

    // One subscription per route: a second create, even on another query, says what to do instead and changes nothing.
    for (const url of ["https://api.example.com/webhooks/linq", "https://api.example.com/webhooks/linq?rotation=7"]) {
      const again = await webhook(sandbox, "create", "--url", url, "--stage", "prod");
      expect(again).toMatchObject({
        code: 2,
        err: [
          `Subscription ${subscription!.id} already delivers to https://api.example.com/webhooks/linq: ` +
            "for a new secret use rotate, or delete it first.",
        ],
      });
    }
    expect(sandbox.truth().subscriptions).toHaveLength(1);
    // The secret is printed once, in the command that stores it.
    expect(run.out.join("\n").split(secret)).toHaveLength(2);
  });

  it("create: the printed secret verifies what Linq then delivers", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });
    const run = await webhook(sandbox, "create", "--url", `${receiver.url}/webhooks/linq`, "--stage", "dev-me");
    expect(run.code).toBe(0);

    await renameAndDeliver(sandbox, chat.id, "Renamed on a phone");
    expect(verifiedWith(receiver, secretIn(run), "Renamed on a phone")).toBe(1);
    expect(receiver.received[0]?.body).toContain(`"webhook_version":"${WEBHOOK_VERSION}"`);
  });

  it("list shows each subscription, its state and what it lacks, and never a secret; delete removes one", async () => {
    const sandbox = await sandboxForTest();
    const created = await webhook(sandbox, "create", "--url", "https://api.example.com/webhooks/linq", "--stage", "x");
    const other = await linqClient(sandbox).webhookSubscriptions.create({
      target_url: "https://other.example.com/hook",
      subscribed_events: ["message.received", "participant.removed"],
    });

    const listed = await webhook(sandbox, "list");
    expect(listed.code).toBe(0);
    const text = listed.out.join("\n");
    expect(text).not.toMatch(/whsec_/);
    expect(text).not.toContain(secretIn(created));
    expect(listed.out).toContain(`${other.id}  active  https://other.example.com/hook`);
    expect(listed.out).toContain("    version not pinned, created " + other.created_at);
    expect(listed.out).toContain(
      "    missing what the service needs: chat.group_name_updated, chat.group_icon_updated, " +
        "chat.group_name_update_failed, chat.group_icon_update_failed",
    );
    expect(listed.out).toContain("    not used by the service: message.received");

    const deleted = await webhook(sandbox, "delete", other.id);
    expect(deleted).toEqual({ code: 0, out: [`Deleted webhook subscription ${other.id}.`], err: [] });
    expect(sandbox.truth().subscriptions.map((s) => s.target_url)).toEqual([
      `https://api.example.com/webhooks/linq?version=${WEBHOOK_VERSION}`,
    ]);

    const missing = await webhook(sandbox, "delete", other.id);
    expect(missing).toMatchObject({ code: 1, err: ["Linq answered 404/2001: Resource not found."] });
    expect((await webhook(sandbox, "list")).out).not.toContain(expect.stringContaining(other.id));
  });

  it("rotate: a second subscription on a second URL, paused until both secrets are deployed; no event missed at any step", async () => {
    const sandbox = await sandboxForTest();
    const receiver = await receiverForTest();
    const chat = sandbox.seedChat({ handles: [ME, ALICE, BOB, CAROL] });
    const url = `${receiver.url}/webhooks/linq`;
    const first = await webhook(sandbox, "create", "--url", url, "--stage", "prod");
    const oldSecret = secretIn(first);
    const oldId = sandbox.truth().subscriptions[0]!.id;

    const rotation = await webhook(sandbox, "rotate", "--url", url, "--stage", "prod");
    expect(rotation.code).toBe(0);
    const newSecret = secretIn(rotation);
    expect(newSecret).not.toBe(oldSecret);
    const fresh = sandbox.truth().subscriptions.find((s) => s.id !== oldId)!;
    expect(fresh).toMatchObject({
      target_url: `${url}?version=${WEBHOOK_VERSION}&rotation=2`,
      subscribed_events: [...OUTCOME_EVENT_TYPES],
      is_active: false,
    });
    const steps = rotation.out.join("\n");
    for (const step of [
      `npx sst secret set LinqWebhookSecret "$CURRENT_SECRET,${newSecret}" --stage prod`,
      "npx sst deploy --stage prod",
      `npm run linq:webhook -- activate ${fresh.id}`,
      `npm run linq:webhook -- delete ${oldId}`,
      `npx sst secret set LinqWebhookSecret ${newSecret} --stage prod`,
    ]) {
      expect(steps).toContain(step);
    }
    expect(steps.indexOf(`activate ${fresh.id}`)).toBeLessThan(steps.indexOf(`delete ${oldId}`));

    // Before the deploy: the new subscription is paused, the old one delivers.
    await renameAndDeliver(sandbox, chat.id, "During the deploy");
    expect(verifiedWith(receiver, oldSecret, "During the deploy")).toBe(1);
    expect(verifiedWith(receiver, newSecret, "During the deploy")).toBe(0);

    // A second rotation now would leave a receiver with three secrets: refused until this one is finished.
    const early = await webhook(sandbox, "rotate", "--url", url, "--stage", "prod");
    expect(early).toMatchObject({ code: 2, err: [expect.stringMatching(/^A rotation is under way/)] });

    expect((await webhook(sandbox, "activate", fresh.id)).code).toBe(0);
    await renameAndDeliver(sandbox, chat.id, "Both delivering");
    expect(verifiedWith(receiver, oldSecret, "Both delivering")).toBe(1);
    expect(verifiedWith(receiver, newSecret, "Both delivering")).toBe(1);

    expect((await webhook(sandbox, "delete", oldId)).code).toBe(0);
    await renameAndDeliver(sandbox, chat.id, "After the rotation");
    expect(verifiedWith(receiver, newSecret, "After the rotation")).toBe(1);
    expect(verifiedWith(receiver, oldSecret, "After the rotation")).toBe(0);

    // The next rotation takes the plain URL again, now free.
    const next = await webhook(sandbox, "rotate", "--url", url, "--stage", "prod");
    expect(next.code).toBe(0);
    expect(sandbox.truth().subscriptions.map((s) => s.target_url)).toContain(`${url}?version=${WEBHOOK_VERSION}`);
  });

  it("refuses bad input with one sentence and a nonzero exit, calling Linq for nothing", async () => {
    const sandbox = await sandboxForTest();
    const env = { LINQ_API_V3_API_KEY: "test-key", LINQ_API_V3_BASE_URL: sandbox.url };
    const cases: Array<[string[], RegExp]> = [
      [["create", "--stage", "prod"], /^--url is required/],
      [["create", "--url", "http://api.example.com/webhooks/linq", "--stage", "prod"], /^--url must be an https:\/\//],
      [["create", "--url", "not a url", "--stage", "prod"], /^--url must be a URL/],
      [["create", "--url", "https://api.example.com/webhooks/linq"], /^--stage is required/],
      [["create", "--url", "https://api.example.com/webhooks/linq?version=2025-01-01", "--stage", "p"], /version/],
      [["rotate", "--stage", "prod"], /^--url is required/],
      [["frobnicate"], /^Unknown command "frobnicate"/],
      [[], /^Name a command/],
      [["delete"], /^delete takes one subscription id\.$/],
      [["list", "--verbose"], /--verbose/],
    ];
    for (const [argv, message] of cases) {
      const run = await webhook(sandbox, ...argv);
      expect({ argv, code: run.code, err: run.err }).toEqual({ argv, code: 2, err: [expect.stringMatching(message)] });
      expect(run.out).toEqual([]);
    }
    const noKey = await webhookProcess({ LINQ_API_V3_BASE_URL: sandbox.url }, "list");
    expect(noKey).toMatchObject({ code: 2, err: [expect.stringMatching(/^LINQ_API_V3_API_KEY is not set/)] });
    const unknown = await webhookProcess(env, "frobnicate");
    expect(unknown).toMatchObject({ code: 2, out: [], err: [expect.stringMatching(/^Unknown command/)] });
    expect(sandbox.truth().calls).toEqual([]);
    expect(sandbox.truth().subscriptions).toEqual([]);
  });
});
