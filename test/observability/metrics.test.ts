/**
 * The metrics as CloudWatch reads them: embedded metric format JSON on stdout, one line per set of dimension values,
 * each value published under its dimensions and under `service` alone (what the alarms watch).
 */
import { describe, expect, it } from "vitest";
import { EmfMetrics } from "../../src/adapters/emf-metrics.ts";
import { metrics as definitions, METRICS_NAMESPACE, type MetricName } from "../../src/definitions/metrics.ts";
import { captureOutput } from "../support/log-lines.ts";

const output = captureOutput();

describe("EmfMetrics", () => {
  it("writes nothing until the invocation ends, then one EMF line per set of dimension values", async () => {
    const metrics = new EmfMetrics();
    metrics.record("OperationSucceeded", 1, { kind: "chat.update", settled_by: "webhook" });
    metrics.record("TimeToOutcome", 1_250, { kind: "chat.update", settled_by: "webhook" });
    metrics.record("OperationSucceeded", 1, { kind: "chat.update", settled_by: "webhook" });
    metrics.record("OperationFailed", 1, { kind: "participant.remove", settled_by: "reconciler" });
    metrics.record("WebhookVerified", 1, {});
    expect(output.text()).toBe("");

    metrics.flush();
    const [updates, removals, webhooks] = output.emf();
    expect(output.emf()).toHaveLength(3);
    expect(updates).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [["service", "kind", "settled_by"], ["service"]],
            Metrics: [
              { Name: "OperationSucceeded", Unit: "Count" },
              { Name: "TimeToOutcome", Unit: "Milliseconds" },
            ],
          },
        ],
      },
      kind: "chat.update",
      settled_by: "webhook",
      OperationSucceeded: [1, 1],
      TimeToOutcome: 1_250,
    });
    expect(removals).toMatchObject({ kind: "participant.remove", settled_by: "reconciler", OperationFailed: 1 });
    expect(webhooks).toMatchObject({
      _aws: {
        CloudWatchMetrics: [{ Dimensions: [["service"]], Metrics: [{ Name: "WebhookVerified", Unit: "Count" }] }],
      },
      WebhookVerified: 1,
    });
  });

  it("writes each point once: a second flush has nothing left", () => {
    const metrics = new EmfMetrics();
    metrics.record("ReconcilerErrors", 1, {});
    metrics.flush();
    metrics.flush();
    expect(output.emf()).toHaveLength(1);
  });

  it("keeps the dimensions on every value when one metric has more values than Powertools holds in a line", () => {
    const metrics = new EmfMetrics();
    // A reconciler run reads up to 2,000 chats, each timed under the same `call`.
    const latencies = Array.from({ length: 150 }, (_, index) => index + 1);
    for (const latency of latencies) metrics.record("LinqCallLatency", latency, { call: "getChat" });
    metrics.record("LinqRetries", 1, { call: "getChat" });
    metrics.flush();

    const lines = output.emf();
    expect(output.lines()).toEqual([]);
    for (const line of lines) {
      expect(line).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Dimensions: [["service", "call"], ["service"]] }] },
        call: "getChat",
      });
    }
    expect(lines.flatMap((line) => [line.LinqCallLatency ?? []].flat())).toEqual(latencies);
    expect(lines.flatMap((line) => [line.LinqRetries ?? []].flat())).toEqual([1]);
  });

  it("gives every metric a unit CloudWatch knows", () => {
    const metrics = new EmfMetrics();
    const names = Object.keys(definitions) as MetricName[];
    for (const name of names) {
      const dimensions = Object.fromEntries(definitions[name].dimensions.map((dimension) => [dimension, "x"]));
      metrics.record(name, 1, dimensions as never);
    }
    metrics.flush();
    const written = output
      .emf()
      .flatMap(
        (line) =>
          (line._aws as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics[0]!
            .Metrics,
      );
    expect(Object.fromEntries(written.map(({ Name, Unit }) => [Name, Unit]))).toEqual(
      Object.fromEntries(names.map((name) => [name, definitions[name].unit])),
    );
  });
});
