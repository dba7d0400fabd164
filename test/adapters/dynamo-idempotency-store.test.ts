/** Idempotency keys against Amazon's DynamoDB Local: claims are conditional writes, so DynamoDB decides races. */
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { DynamoIdempotencyStore } from "../../src/adapters/dynamo-idempotency-store.ts";
import { freshTables } from "../support/dynamodb.ts";

let store: DynamoIdempotencyStore;
const now = new Date("2026-11-21T10:00:00.000Z");
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const answer = { status: 200, body: { chat_id: "c", status: "pending", trace_id: "t" } };

beforeAll(async () => {
  const tables = await freshTables();
  store = new DynamoIdempotencyStore({
    client: tables.client,
    ledgerTableName: tables.ledger,
    ttlSeconds: 24 * 3600,
    leaseSeconds: 120,
  });
});

describe("an idempotency key", () => {
  it("is claimed once, then replays the stored answer for the same request", async () => {
    const key = randomUUID();
    expect(await store.claim(key, "fp", now)).toEqual({ state: "claimed" });
    expect(await store.claim(key, "fp", now)).toEqual({ state: "in-progress" });
    await store.complete(key, "fp", answer, now);
    expect(await store.claim(key, "fp", later(60))).toEqual({ state: "replay", answer });
  });

  it("refuses another request under the same key, in progress or done", async () => {
    const key = randomUUID();
    await store.claim(key, "fp", now);
    expect(await store.claim(key, "other", now)).toEqual({ state: "mismatch" });
    await store.complete(key, "fp", answer, now);
    expect(await store.claim(key, "other", now)).toEqual({ state: "mismatch" });
  });

  it("has exactly one winner among concurrent claims", async () => {
    const key = randomUUID();
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim(key, "fp", now)));
    expect(claims.filter((c) => c.state === "claimed")).toHaveLength(1);
    expect(claims.filter((c) => c.state === "in-progress")).toHaveLength(19);
  });

  it("once given back after an unknown outcome, is claimed again by the same request with the operation it started", async () => {
    const key = randomUUID();
    await store.claim(key, "fp", now);
    await store.release(key, "fp", "trace-1", now);
    expect(await store.claim(key, "other", now)).toEqual({ state: "mismatch" });
    expect(await store.claim(key, "fp", later(1))).toEqual({ state: "claimed", traceId: "trace-1" });
  });

  it("is taken over when the invocation holding it died, once its lease ran out", async () => {
    const key = randomUUID();
    await store.claim(key, "fp", now);
    expect(await store.claim(key, "fp", later(60))).toEqual({ state: "in-progress" });
    expect(await store.claim(key, "fp", later(121))).toEqual({ state: "claimed" });
  });

  it("is free again after 24 hours, even before DynamoDB's TTL deletes it", async () => {
    const key = randomUUID();
    await store.claim(key, "fp", now);
    await store.complete(key, "fp", answer, now);
    expect(await store.claim(key, "other", later(24 * 3600 + 1))).toEqual({ state: "claimed" });
  });
});
