/**
 * The pressure on Linq is bounded by reserved concurrency, set from the deploy's settings (src/definitions/limits.ts),
 * and a throttled request event waits in Lambda's queue rather than failing.
 */
import { describe, expect, it } from "vitest";
import { REQUEST_DELIVERY } from "../../src/definitions/events.ts";
import { functions, SCHEDULE_DELIVERY, type FunctionDefinition } from "../../src/definitions/functions.ts";
import {
  DEFAULT_LINQ_PRESSURE,
  LimitsError,
  readLinqPressure,
  reservedConcurrency,
} from "../../src/definitions/limits.ts";

const all = functions as readonly FunctionDefinition[];

describe("the deploy's limits on Linq", () => {
  it("default to a bounded concurrency and a throttled API stage", () => {
    expect(readLinqPressure({})).toEqual(DEFAULT_LINQ_PRESSURE);
    expect(DEFAULT_LINQ_PRESSURE.linqConcurrency).toBeGreaterThan(0);
  });

  it("are read from LINQ_CONCURRENCY, API_THROTTLE_RATE and API_THROTTLE_BURST", () => {
    expect(readLinqPressure({ LINQ_CONCURRENCY: "3", API_THROTTLE_RATE: "20", API_THROTTLE_BURST: "40" })).toEqual({
      linqConcurrency: 3,
      apiRateLimit: 20,
      apiBurstLimit: 40,
    });
  });

  it("leave concurrency unreserved only when asked to, for accounts whose quota cannot spare it", () => {
    expect(readLinqPressure({ LINQ_CONCURRENCY: "unreserved" }).linqConcurrency).toBeUndefined();
  });

  it.each([["0"], ["-1"], ["2.5"], ["ten"]])("refuse LINQ_CONCURRENCY=%s, naming the setting", (value) => {
    // Reserved concurrency 0 would stop the function altogether.
    expect(() => readLinqPressure({ LINQ_CONCURRENCY: value })).toThrow(LimitsError);
    expect(() => readLinqPressure({ LINQ_CONCURRENCY: value })).toThrow(/LINQ_CONCURRENCY/);
  });
});

describe("each function's reserved concurrency", () => {
  const pressure = readLinqPressure({ LINQ_CONCURRENCY: "7" });

  it("is the setting for every function that calls Linq for a request", () => {
    const requestCallers = all.filter((definition) => definition.access.linq && definition.schedule === undefined);
    expect(requestCallers.length).toBeGreaterThan(0);
    for (const definition of requestCallers) expect(reservedConcurrency(definition, pressure)).toBe(7);
  });

  it("is 1 for the reconciler, so two runs never read the same backlog at once", () => {
    const reconciler = all.find((definition) => definition.name === "Reconciler")!;
    expect(reservedConcurrency(reconciler, pressure)).toBe(1);
    expect(reservedConcurrency(reconciler, readLinqPressure({ LINQ_CONCURRENCY: "unreserved" }))).toBe(1);
  });

  it("is left alone for functions that never call Linq", () => {
    for (const definition of all.filter((definition) => !definition.access.linq)) {
      expect(reservedConcurrency(definition, pressure)).toBeUndefined();
    }
  });
});

describe("a burst of request events", () => {
  it("waits in Lambda's queue: throttled invocations are retried until the event is this old (Lambda allows 6 h)", () => {
    // Throttled retries back off to one every 5 minutes: an hour leaves room for a dozen, then the dead-letter queue.
    expect(REQUEST_DELIVERY.maximumEventAgeSeconds).toBeGreaterThanOrEqual(3600);
    expect(REQUEST_DELIVERY.maximumEventAgeSeconds).toBeLessThanOrEqual(6 * 3600);
  });
});

describe("a scheduled tick", () => {
  const scheduled = all.filter((definition) => definition.schedule !== undefined);

  it("is not retried by Lambda: the next tick is the retry", () => {
    expect(SCHEDULE_DELIVERY.maximumRetryAttempts).toBe(0);
  });

  it("throttled by a run still going, is dropped after Lambda's shortest wait, long before the next tick", () => {
    expect(SCHEDULE_DELIVERY.maximumEventAgeSeconds).toBe(60);
    expect(scheduled.length).toBeGreaterThan(0);
    for (const definition of scheduled) {
      const [, count, unit] = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(definition.schedule!) ?? [];
      const periodSeconds = Number(count) * (unit!.startsWith("hour") ? 3600 : 60);
      expect(SCHEDULE_DELIVERY.maximumEventAgeSeconds).toBeLessThan(periodSeconds);
    }
  });
});
