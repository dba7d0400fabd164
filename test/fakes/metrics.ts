/** The Metrics and OperationLog ports, kept in memory so tests can read what was counted and which ids were named. */
import type { MetricDimensions, MetricName } from "../../src/definitions/metrics.ts";
import type { Metrics, OperationLog } from "../../src/domain/ports.ts";

export interface RecordedMetric {
  name: MetricName;
  value: number;
  dimensions: Record<string, string>;
}

export class FakeMetrics implements Metrics {
  readonly recorded: RecordedMetric[] = [];

  record<N extends MetricName>(name: N, value: number, dimensions: MetricDimensions<N>): void {
    this.recorded.push({ name, value, dimensions: { ...dimensions } as Record<string, string> });
  }

  /** The sum of a metric's values whose dimensions include `where`. */
  total(name: MetricName, where: Record<string, string> = {}): number {
    return this.recorded
      .filter((metric) => metric.name === name)
      .filter((metric) => Object.entries(where).every(([key, value]) => metric.dimensions[key] === value))
      .reduce((sum, metric) => sum + metric.value, 0);
  }
}

export class FakeOperationLog implements OperationLog {
  readonly named: { chat_id: string; trace_id: string }[] = [];

  about(operation: { chat_id: string; trace_id: string }): void {
    this.named.push({ ...operation });
  }
}
