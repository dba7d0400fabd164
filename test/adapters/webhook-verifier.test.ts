/**
 * Linq's signatures, checked on the raw bytes, then the body read. Deliveries are signed here with the
 * `standardwebhooks` package, as Linq signs them. The window is the library's, on `Date.now()`: fake timers move the
 * system clock, which the verifier's own clock (for the deprecated scheme) reads too.
 */
import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebhookVerifier } from "../../src/adapters/webhook-verifier.ts";

const OLD_SECRET = secret("the secret being retired");
const NEW_SECRET = secret("the secret rotated in");
const STRANGER_SECRET = secret("anyone else's secret");
const LEGACY_SECRET = "legacy secret, keyed by its text";

const NOW = new Date("2026-03-01T12:00:00.000Z");
const NOW_SECONDS = NOW.getTime() / 1000;

const BODY = JSON.stringify({ event_type: "chat.group_name_updated", event_id: "evt_1", data: { new_value: "Été" } });
const ID = "msg_2f6Ghm8ZBT7ie6dnUuBp1tTZXyl";

const systemClock = { now: () => new Date() };

function secret(text: string): string {
  return `whsec_${Buffer.from(text).toString("base64")}`;
}

function verifier(legacySecrets: string[] = []): WebhookVerifier {
  return new WebhookVerifier({ secrets: [OLD_SECRET, NEW_SECRET], legacySecrets, clock: systemClock });
}

/** Standard Webhooks headers for `body`, signed at `at` (seconds) with `key`. */
function signed(key: string, body: string, at = NOW_SECONDS, id = ID): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(at),
    "webhook-signature": new Webhook(key).sign(id, new Date(at * 1000), body),
  };
}

function legacy(key: string, body: string, at = NOW_SECONDS): Record<string, string> {
  return {
    "x-webhook-timestamp": String(at),
    "x-webhook-signature": createHmac("sha256", key).update(`${at}.${body}`).digest("hex"),
  };
}

function verify(body: string, headers: Record<string, string | undefined>, legacySecrets: string[] = []) {
  return verifier(legacySecrets).verify(Buffer.from(body, "utf8"), headers);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Standard Webhooks deliveries", () => {
  it("a genuine delivery gives its webhook-id and the parsed body", () => {
    expect(verify(BODY, signed(NEW_SECRET, BODY))).toEqual({ ok: true, deliveryId: ID, payload: JSON.parse(BODY) });
  });

  it.each([
    ["the secret being retired", OLD_SECRET],
    ["the secret rotated in", NEW_SECRET],
  ])("during a rotation, a delivery signed with %s verifies", (_name, key) => {
    expect(verify(BODY, signed(key, BODY))).toMatchObject({ ok: true, deliveryId: ID });
  });

  it("a secret the service does not hold is refused", () => {
    expect(verify(BODY, signed(STRANGER_SECRET, BODY))).toEqual({ ok: false, reason: "No matching signature found" });
  });

  it("a body altered after signing is refused, even by one byte", () => {
    const headers = signed(NEW_SECRET, BODY);
    expect(verify(BODY.replace("Été", "Ete"), headers)).toMatchObject({ ok: false });
    expect(verify(`${BODY} `, headers)).toMatchObject({ ok: false });
  });

  it("another webhook-id under the same signature is refused: the id is signed", () => {
    const headers = { ...signed(NEW_SECRET, BODY), "webhook-id": "msg_someone_else" };
    expect(verify(BODY, headers)).toMatchObject({ ok: false });
  });

  it("verifies the decoded bytes, multi-byte characters included", () => {
    const body = JSON.stringify({ new_value: "Équipe 🎉 — « déjà vu »" });
    const raw = Buffer.from(body, "utf8");
    expect(verifier().verify(raw, signed(NEW_SECRET, body))).toEqual({
      ok: true,
      deliveryId: ID,
      payload: { new_value: "Équipe 🎉 — « déjà vu »" },
    });
  });

  describe("the timestamp window, 300 s both ways", () => {
    it.each([
      ["300 s ago", -300],
      ["300 s ahead (a fast clock at Linq)", 300],
      ["now", 0],
    ])("signed %s is accepted", (_name, offset) => {
      expect(verify(BODY, signed(NEW_SECRET, BODY, NOW_SECONDS + offset))).toMatchObject({ ok: true });
    });

    it("signed 301 s ago is refused as too old", () => {
      expect(verify(BODY, signed(NEW_SECRET, BODY, NOW_SECONDS - 301))).toEqual({
        ok: false,
        reason: "Message timestamp too old",
      });
    });

    it("signed 301 s ahead is refused as too new", () => {
      expect(verify(BODY, signed(NEW_SECRET, BODY, NOW_SECONDS + 301))).toEqual({
        ok: false,
        reason: "Message timestamp too new",
      });
    });

    it("a genuine delivery goes stale as the clock moves past the window", () => {
      const headers = signed(NEW_SECRET, BODY);
      vi.setSystemTime(NOW.getTime() + 300_000);
      expect(verify(BODY, headers)).toMatchObject({ ok: true });
      vi.setSystemTime(NOW.getTime() + 301_000);
      expect(verify(BODY, headers)).toMatchObject({ ok: false, reason: "Message timestamp too old" });
    });

    it.each(["1772366400abc", "2026-03-01T12:00:00Z", " 1772366400", "", "-1"])(
      "a timestamp that is not just digits (%j) is refused",
      (timestamp) => {
        expect(verify(BODY, { ...signed(NEW_SECRET, BODY), "webhook-timestamp": timestamp })).toEqual({
          ok: false,
          reason: "malformed timestamp",
        });
      },
    );
  });

  describe("the webhook-signature header", () => {
    it("several v1 entries: one valid among forged ones verifies, wherever it stands", () => {
      const genuine = signed(NEW_SECRET, BODY)["webhook-signature"]!;
      const forged = signed(STRANGER_SECRET, BODY)["webhook-signature"]!;
      for (const offered of [`${forged} ${genuine}`, `${genuine} ${forged}`, `${forged} v1,AAAA ${genuine}`]) {
        expect(verify(BODY, { ...signed(NEW_SECRET, BODY), "webhook-signature": offered }), offered).toMatchObject({
          ok: true,
        });
      }
    });

    it("entries of another scheme are skipped, even carrying a valid HMAC", () => {
      const genuine = signed(NEW_SECRET, BODY)["webhook-signature"]!;
      const headers = { ...signed(NEW_SECRET, BODY), "webhook-signature": genuine.replace("v1,", "v1a,") };
      expect(verify(BODY, headers)).toMatchObject({ ok: false });
      headers["webhook-signature"] = `${genuine.replace("v1,", "v2,")} ${genuine}`;
      expect(verify(BODY, headers)).toMatchObject({ ok: true });
    });

    it("only forged v1 entries are refused", () => {
      const forged = [STRANGER_SECRET, secret("another stranger")].map((key) => signed(key, BODY)["webhook-signature"]);
      const headers = { ...signed(NEW_SECRET, BODY), "webhook-signature": forged.join(" ") };
      expect(verify(BODY, headers)).toMatchObject({ ok: false });
    });
  });

  describe("missing headers", () => {
    it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("without %s it is refused", (name) => {
      const headers: Record<string, string | undefined> = { ...signed(NEW_SECRET, BODY) };
      delete headers[name];
      expect(verify(BODY, headers)).toEqual({ ok: false, reason: "missing signature headers" });
    });

    it("an empty signature header is refused", () => {
      expect(verify(BODY, { ...signed(NEW_SECRET, BODY), "webhook-signature": "" })).toMatchObject({ ok: false });
    });

    it("no headers at all is refused", () => {
      expect(verify(BODY, {})).toEqual({ ok: false, reason: "missing signature headers" });
    });
  });

  describe("signed but unreadable", () => {
    it.each(["{not json", "", "<xml/>"])("a signed body that is not JSON (%j) is told apart from a forgery", (body) => {
      expect(verify(body, signed(NEW_SECRET, body))).toEqual({ ok: true, deliveryId: ID, unreadable: true });
    });

    it("an unsigned body that is not JSON is a refusal, not unreadable", () => {
      expect(verify("{not json", signed(STRANGER_SECRET, "{not json"))).toMatchObject({ ok: false });
    });

    it("JSON that is not an object is still a payload: what it must contain is the caller's to say", () => {
      expect(verify("[]", signed(NEW_SECRET, "[]"))).toEqual({ ok: true, deliveryId: ID, payload: [] });
    });
  });

  it("a malformed secret fails when the verifier is built, not at the first delivery", () => {
    expect(() => new WebhookVerifier({ secrets: ["whsec_"], legacySecrets: [], clock: systemClock })).toThrow();
  });
});

describe("the deprecated X-Webhook-Signature scheme", () => {
  it("is refused when no legacy secret is configured", () => {
    expect(verify(BODY, legacy(LEGACY_SECRET, BODY))).toEqual({ ok: false, reason: "missing signature headers" });
  });

  it("is accepted when configured, with the signature standing in for the delivery id", () => {
    const headers = legacy(LEGACY_SECRET, BODY);
    expect(verify(BODY, headers, [LEGACY_SECRET])).toEqual({
      ok: true,
      deliveryId: `legacy-${headers["x-webhook-signature"]}`,
      payload: JSON.parse(BODY),
    });
  });

  it("tries each configured legacy secret", () => {
    expect(verify(BODY, legacy(LEGACY_SECRET, BODY), ["an older legacy secret", LEGACY_SECRET])).toMatchObject({
      ok: true,
    });
  });

  it("refuses another secret, an altered body, and a timestamp the signature does not cover", () => {
    const headers = legacy(LEGACY_SECRET, BODY);
    expect(verify(BODY, legacy("not ours", BODY), [LEGACY_SECRET])).toEqual({
      ok: false,
      reason: "no matching signature",
    });
    expect(verify(BODY.replace("Été", "Ete"), headers, [LEGACY_SECRET])).toMatchObject({ ok: false });
    const moved = { ...headers, "x-webhook-timestamp": String(NOW_SECONDS - 1) };
    expect(verify(BODY, moved, [LEGACY_SECRET])).toMatchObject({ ok: false });
  });

  it.each([
    [-301, "timestamp too old"],
    [301, "timestamp too far in the future"],
  ])("refuses a delivery signed %i s from now (%s)", (offset, reason) => {
    expect(verify(BODY, legacy(LEGACY_SECRET, BODY, NOW_SECONDS + offset), [LEGACY_SECRET])).toEqual({
      ok: false,
      reason,
    });
  });

  it.each([-300, 300])("accepts a delivery signed %i s from now", (offset) => {
    expect(verify(BODY, legacy(LEGACY_SECRET, BODY, NOW_SECONDS + offset), [LEGACY_SECRET])).toMatchObject({
      ok: true,
    });
  });

  it("reads the body like the standard scheme: signed but not JSON is unreadable", () => {
    expect(verify("{not json", legacy(LEGACY_SECRET, "{not json"), [LEGACY_SECRET])).toMatchObject({
      ok: true,
      unreadable: true,
    });
  });

  it("does not rescue a delivery carrying Standard Webhooks headers that fail", () => {
    const headers = { ...signed(STRANGER_SECRET, BODY), ...legacy(LEGACY_SECRET, BODY) };
    expect(verify(BODY, headers, [LEGACY_SECRET])).toMatchObject({ ok: false });
  });
});
