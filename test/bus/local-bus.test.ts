import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { REQUEST_DELIVERY, requestPattern, type RequestDetailType } from "../../src/definitions/events.ts";
import { functions } from "../../src/definitions/functions.ts";
import { startLocalBus, type BusEvent, type LocalBus, type LocalBusOptions } from "../../local/bus/index.ts";
import { functionSubscriptions } from "../../local/stack.ts";

const FAST_RETRIES = [5, 10];

let bus: LocalBus | undefined;
let client: EventBridgeClient | undefined;

afterEach(async () => {
  client?.destroy();
  await bus?.stop();
  bus = undefined;
  client = undefined;
});

async function start(options: Partial<LocalBusOptions> = {}) {
  bus = await startLocalBus({ subscriptions: [], retryDelaysMs: FAST_RETRIES, ...options });
  client = new EventBridgeClient({
    endpoint: bus.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return { bus, client };
}

function entry(detailType: string, detail: Record<string, unknown> = {}): PutEventsRequestEntry {
  return { Source: "test", DetailType: detailType, Detail: JSON.stringify(detail) };
}

/** A subscriber that records what it receives and fails its first `failures` calls. */
function recorder(failures = 0, message = "handler failed") {
  const received: BusEvent[] = [];
  return {
    received,
    deliver: async (event: BusEvent) => {
      received.push(event);
      if (received.length <= failures) throw new Error(message);
    },
  };
}

const subscriberOf = (detailType: RequestDetailType) => {
  const definition = functions.find((f) => "subscribesTo" in f && f.subscribesTo === detailType);
  if (!definition) throw new Error(`no function subscribes to ${detailType}`);
  return definition.name;
};

describe("PutEvents through the AWS SDK", () => {
  it("accepts events and lists them at GET /events, oldest first, as Lambda receives them", async () => {
    const { bus, client } = await start();
    const time = new Date("2025-01-02T03:04:05.678Z");
    const first = await client.send(
      new PutEventsCommand({
        Entries: [{ ...entry("chat.update.requested", { chat_id: "c1" }), Time: time, Resources: ["arn:a"] }],
      }),
    );
    const second = await client.send(
      new PutEventsCommand({ Entries: [entry("a", { n: 1 }), { ...entry("b", { n: 2 }), EventBusName: "default" }] }),
    );

    expect(first.FailedEntryCount).toBe(0);
    expect(second.FailedEntryCount).toBe(0);
    const ids = [...(first.Entries ?? []), ...(second.Entries ?? [])].map((result) => result.EventId);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ""))).toBe(true);

    const listed = (await (await fetch(`${bus.url}/events`)).json()) as BusEvent[];
    expect(listed.map((event) => event.id)).toEqual(ids);
    expect(listed[0]).toEqual({
      version: "0",
      id: ids[0],
      "detail-type": "chat.update.requested",
      source: "test",
      account: "000000000000",
      time: "2025-01-02T03:04:05Z",
      region: "us-east-1",
      resources: ["arn:a"],
      detail: { chat_id: "c1" },
    });
    expect(Date.parse(listed[1]?.time ?? "")).toBeGreaterThan(Date.now() - 60_000);
    expect(bus.events()).toEqual(listed);
  });

  it("with keepEvents, lists only the latest that many, still oldest first", async () => {
    const { bus, client } = await start({ keepEvents: 2 });
    for (const n of [1, 2, 3]) await client.send(new PutEventsCommand({ Entries: [entry("e", { n })] }));

    const listed = (await (await fetch(`${bus.url}/events`)).json()) as BusEvent[];
    expect(listed.map((event) => event.detail)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(bus.events()).toEqual(listed);
  });

  it("routes each event only to the subscriptions whose pattern matches", async () => {
    const byFunction = new Map<string, BusEvent[]>();
    const { bus, client } = await start({
      subscriptions: functionSubscriptions(async (name, event) => {
        byFunction.set(name, [...(byFunction.get(name) ?? []), event]);
      }),
    });
    await client.send(
      new PutEventsCommand({
        Entries: [
          entry("chat.update.requested", { chat_id: "c1" }),
          entry("participant.remove.requested", { chat_id: "c2", handle: "+1555" }),
          entry("operation.succeeded", { chat_id: "c3" }),
        ],
      }),
    );
    await bus.idle();

    const update = byFunction.get(subscriberOf("chat.update.requested")) ?? [];
    const remove = byFunction.get(subscriberOf("participant.remove.requested")) ?? [];
    expect(update.map((event) => event.detail)).toEqual([{ chat_id: "c1" }]);
    expect(remove.map((event) => event.detail)).toEqual([{ chat_id: "c2", handle: "+1555" }]);
    expect([...byFunction.keys()].sort()).toEqual(
      [subscriberOf("chat.update.requested"), subscriberOf("participant.remove.requested")].sort(),
    );
    expect(bus.events()).toHaveLength(3);
  });

  it("fails a malformed entry on its own while its siblings succeed", async () => {
    const good = recorder();
    const { bus, client } = await start({
      subscriptions: [{ name: "Sub", pattern: requestPattern("chat.update.requested"), ...good }],
    });
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          entry("chat.update.requested", { chat_id: "ok" }),
          { Source: "test", DetailType: "chat.update.requested", Detail: "not json" },
          { Source: "test", DetailType: "chat.update.requested", Detail: "[1, 2]" },
          { Source: "test", Detail: "{}" },
          { ...entry("chat.update.requested"), EventBusName: "someone-elses-bus" },
          entry("chat.update.requested", { chat_id: "ok too" }),
        ],
      }),
    );
    await bus.idle();

    expect(result.FailedEntryCount).toBe(4);
    const [ok, notJson, notObject, noDetailType, otherBus, okToo] = result.Entries ?? [];
    expect(ok?.EventId).toBeDefined();
    expect(okToo?.EventId).toBeDefined();
    expect(notJson).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(notObject).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(noDetailType).toMatchObject({
      ErrorCode: "InvalidArgument",
      ErrorMessage: expect.stringMatching(/DetailType/),
    });
    expect(otherBus).toMatchObject({ ErrorCode: "ResourceNotFoundException" });
    expect(bus.events().map((event) => event.detail)).toEqual([{ chat_id: "ok" }, { chat_id: "ok too" }]);
    expect(good.received.map((event) => event.detail)).toEqual([{ chat_id: "ok" }, { chat_id: "ok too" }]);
  });

  it("accepts the bus by name or ARN", async () => {
    const { client } = await start({ busName: "linq-chat-ops" });
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry("a"), EventBusName: "linq-chat-ops" },
          { ...entry("a"), EventBusName: "arn:aws:events:us-east-1:000000000000:event-bus/linq-chat-ops" },
          { ...entry("a"), EventBusName: "other" },
        ],
      }),
    );
    expect(result.Entries?.map((r) => r.ErrorCode)).toEqual([undefined, undefined, "ResourceNotFoundException"]);
  });

  it("refuses a whole request as EventBridge does: no entries, more than 10, over 256 KB", async () => {
    const { bus, client } = await start();
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    const eleven = Array.from({ length: 11 }, () => entry("a"));
    await expect(client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: "ValidationException",
    });
    const big = entry("a", { blob: "x".repeat(256 * 1024) });
    await expect(client.send(new PutEventsCommand({ Entries: [big] }))).rejects.toMatchObject({
      name: "ValidationException",
      message: "Total size of the entries in the request is over the limit.",
    });
    expect(bus.events()).toEqual([]);
  });

  it("answers an unknown X-Amz-Target with an AWS JSON error", async () => {
    const { bus } = await start();
    const response = await fetch(bus.url, {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.ListRules", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(await response.json()).toEqual({
      __type: "UnknownOperationException",
      message: expect.stringContaining("AWSEvents.ListRules"),
    });
  });
});

describe("delivery, like Lambda's asynchronous invocation", () => {
  it("calls the subscriber after PutEvents has answered, not inline", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const { bus, client } = await start({
      subscriptions: [
        {
          name: "Slow",
          pattern: requestPattern("chat.update.requested"),
          deliver: async () => {
            calls += 1;
            await gate;
          },
        },
      ],
    });
    const result = await client.send(new PutEventsCommand({ Entries: [entry("chat.update.requested")] }));
    expect(result.FailedEntryCount).toBe(0);
    let idle = false;
    const settled = bus.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(1);
    expect(idle).toBe(false);
    release();
    await settled;
    expect(bus.deadLetters()).toEqual([]);
  });

  it(`retries a failing subscriber ${REQUEST_DELIVERY.maximumRetryAttempts} times, then dead-letters it with the reason`, async () => {
    const failing = recorder(Infinity, "Linq said no");
    const healthy = recorder();
    const { bus, client } = await start({
      subscriptions: [
        { name: "Failing", pattern: requestPattern("chat.update.requested"), ...failing },
        { name: "Healthy", pattern: requestPattern("chat.update.requested"), ...healthy },
      ],
    });
    const result = await client.send(
      new PutEventsCommand({ Entries: [entry("chat.update.requested", { chat_id: "c1" })] }),
    );
    await bus.idle();

    expect(failing.received).toHaveLength(1 + REQUEST_DELIVERY.maximumRetryAttempts);
    expect(new Set(failing.received.map((event) => event.id))).toEqual(new Set([result.Entries?.[0]?.EventId]));
    expect(healthy.received).toHaveLength(1);
    const [letter, ...others] = bus.deadLetters();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      subscription: "Failing",
      reason: "Linq said no",
      attempts: 1 + REQUEST_DELIVERY.maximumRetryAttempts,
      event: { id: result.Entries?.[0]?.EventId, detail: { chat_id: "c1" } },
    });
    expect(await (await fetch(`${bus.url}/dead-letters`)).json()).toEqual(bus.deadLetters());
  });

  it("does not dead-letter a subscriber that fails once and then succeeds", async () => {
    const flaky = recorder(1);
    const { bus, client } = await start({
      subscriptions: [{ name: "Flaky", pattern: requestPattern("participant.remove.requested"), ...flaky }],
    });
    await client.send(new PutEventsCommand({ Entries: [entry("participant.remove.requested", { chat_id: "c" })] }));
    await bus.idle();

    expect(flaky.received).toHaveLength(2);
    expect(bus.deadLetters()).toEqual([]);
  });

  it("gives each invocation its own copy of the event", async () => {
    const seen: unknown[] = [];
    const mutate = async (event: BusEvent) => {
      seen.push(structuredClone(event.detail));
      event.detail.chat_id = "mutated";
    };
    const pattern = requestPattern("chat.update.requested");
    const { bus, client } = await start({
      subscriptions: [
        { name: "A", pattern, deliver: mutate },
        { name: "B", pattern, deliver: mutate },
      ],
    });
    await client.send(new PutEventsCommand({ Entries: [entry("chat.update.requested", { chat_id: "c" })] }));
    await bus.idle();
    expect(seen).toEqual([{ chat_id: "c" }, { chat_id: "c" }]);
    expect(bus.events()[0]?.detail).toEqual({ chat_id: "c" });
  });

  it("stop() cancels pending retries", async () => {
    const failing = recorder(Infinity);
    const { bus, client } = await start({
      retryDelaysMs: [60_000],
      subscriptions: [{ name: "Failing", pattern: requestPattern("chat.update.requested"), ...failing }],
    });
    await client.send(new PutEventsCommand({ Entries: [entry("chat.update.requested")] }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await bus.stop();
    await bus.idle();
    expect(failing.received).toHaveLength(1);
    await expect(fetch(`${bus.url}/events`)).rejects.toThrow();
  });
});

describe("startLocalBus", () => {
  it("refuses to keep fewer than one event", async () => {
    await expect(startLocalBus({ subscriptions: [], keepEvents: 0 })).rejects.toThrow(/keepEvents/);
  });

  it("refuses a subscription whose pattern EventBridge would refuse", async () => {
    await expect(
      startLocalBus({
        subscriptions: [{ name: "Typo", pattern: { "detail-type": "x" } as never, deliver: async () => {} }],
      }),
    ).rejects.toThrow(/Typo.*detail-type must be an array/);
  });
});
