/**
 * The Metrics port in CloudWatch's embedded metric format, through Powertools Metrics: CloudWatch turns the JSON lines
 * Lambda logs into metrics, so counting costs no API call and no latency.
 *
 * One Powertools instance carries one set of dimensions, while our metrics each have their own (src/definitions/
 * metrics.ts). So data points are kept until the invocation ends (`flush`, from the middleware), then written as one
 * EMF line per set of dimension values, each published under its dimensions and under `service` alone (what the alarms
 * watch). Values of one metric within a line become an array, as EMF allows.
 */
import { Metrics as PowertoolsMetrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  metrics as definitions,
  METRICS_NAMESPACE,
  type MetricDimensions,
  type MetricName,
} from "../definitions/metrics.ts";
import type { Metrics } from "../domain/ports.ts";

interface Point {
  name: MetricName;
  value: number;
  dimensions: Record<string, string>;
}

export class EmfMetrics implements Metrics {
  readonly #namespace: string;
  #points: Point[] = [];

  constructor(options: { namespace?: string } = {}) {
    this.#namespace = options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;
  }

  record<N extends MetricName>(name: N, value: number, dimensions: MetricDimensions<N>): void {
    this.#points.push({ name, value, dimensions: { ...dimensions } as Record<string, string> });
  }

  /** Writes every point recorded since the last flush. */
  flush(): void {
    const points = this.#points;
    this.#points = [];
    const groups = new Map<string, Point[]>();
    for (const point of points) {
      const key = JSON.stringify(Object.entries(point.dimensions).sort());
      groups.set(key, [...(groups.get(key) ?? []), point]);
    }
    for (const group of groups.values()) {
      const emf = this.#instance();
      const dimensions = group[0]!.dimensions;
      if (Object.keys(dimensions).length > 0) {
        emf.addDimensions(dimensions);
        // An empty set is `service` alone: the same values, summed across the dimensions above.
        emf.addDimensions({});
      }
      for (const point of group) emf.addMetric(point.name, UNITS[definitions[point.name].unit], point.value);
      emf.publishStoredMetrics();
    }
  }

  #instance(): PowertoolsMetrics {
    return new PowertoolsMetrics({ namespace: this.#namespace });
  }
}

const UNITS = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
} as const;
