/**
 * The Metrics port in CloudWatch's embedded metric format, through Powertools Metrics: CloudWatch turns the JSON lines
 * Lambda logs into metrics, so counting costs no API call and no latency.
 *
 * One Powertools instance carries one set of dimensions, while our metrics each have their own (src/definitions/
 * metrics.ts). So data points are kept until the invocation ends (`flush`, from the middleware), then written as one
 * EMF line per set of dimension values, each published under its dimensions and under `service` alone (what the alarms
 * watch). Values of one metric within a line become an array, as EMF allows.
 *
 * Powertools publishes on its own when one metric reaches 100 values, and that publish drops the dimension sets, so
 * the values after it would count under nothing but their metric name. A line therefore holds fewer values of one
 * metric than that (a reconciler run records a latency per chat it reads, up to 2,000), and the next line repeats the
 * dimension sets.
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
  /**
   * One Powertools instance, reused: each publish clears its metrics and dimensions, and building one reads the
   * environment and makes a console, which per invocation was a measurable share of a webhook's CPU.
   */
  #emf: PowertoolsMetrics | undefined;

  constructor(options: { namespace?: string } = {}) {
    this.#namespace = options.namespace ?? process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;
  }

  record<N extends MetricName>(name: N, value: number, dimensions: MetricDimensions<N>): void {
    this.#points.push({ name, value, dimensions: { ...dimensions } as Record<string, string> });
  }

  /** Writes every point recorded since the last flush. */
  flush(): void {
    const points = this.#points;
    if (points.length === 0) return;
    this.#points = [];
    const groups = new Map<string, Point[]>();
    for (const point of points) {
      const key = JSON.stringify(Object.entries(point.dimensions).sort());
      groups.set(key, [...(groups.get(key) ?? []), point]);
    }
    for (const group of groups.values()) {
      const dimensions = group[0]!.dimensions;
      for (const line of lines(group)) {
        const emf = this.#instance();
        if (Object.keys(dimensions).length > 0) {
          emf.addDimensions(dimensions);
          // An empty set is `service` alone: the same values, summed across the dimensions above.
          emf.addDimensions({});
        }
        for (const point of line) emf.addMetric(point.name, UNITS[definitions[point.name].unit], point.value);
        emf.publishStoredMetrics();
      }
    }
  }

  #instance(): PowertoolsMetrics {
    return (this.#emf ??= new PowertoolsMetrics({ namespace: this.#namespace }));
  }
}

/** One below the count at which Powertools publishes a metric by itself. */
const VALUES_PER_LINE = 99;

/** Splits one group's points into lines holding at most VALUES_PER_LINE values of any one metric, in order. */
function lines(points: Point[]): Point[][] {
  const result: Point[][] = [];
  const seen = new Map<MetricName, number>();
  for (const point of points) {
    const index = Math.floor((seen.get(point.name) ?? 0) / VALUES_PER_LINE);
    seen.set(point.name, (seen.get(point.name) ?? 0) + 1);
    (result[index] ??= []).push(point);
  }
  return result;
}

const UNITS = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
  Seconds: MetricUnit.Seconds,
} as const;
