/**
 * Every metric the service emits, with its unit and the dimensions it is broken down by, defined once: the code records
 * them by these names (CloudWatch embedded metric format, through Powertools) and `stacks/alarms.ts` alarms on them.
 * Each data point is also published under `service` alone, so an alarm can watch a metric across its dimensions.
 *
 * Plain data only: no AWS import.
 */

/** The CloudWatch namespace of every metric. */
export const METRICS_NAMESPACE = "LinqChatOps";

/** The `service` of every log line and metric; a stage is part of it, so two stages in one account never mix. */
export function serviceName(stage: string): string {
  return `linq-chat-ops-${stage}`;
}

export type MetricUnit = "Count" | "Milliseconds" | "Seconds";

export const metrics = {
  /** A new operation recorded (not a replay): kind, source (http, eventbridge). */
  OperationRequested: { unit: "Count", dimensions: ["kind", "source"] },
  /** Counted where the outcome is published (once per operation), with who settled it: webhook, reconciler, linq, service. */
  OperationSucceeded: { unit: "Count", dimensions: ["kind", "settled_by"] },
  OperationFailed: { unit: "Count", dimensions: ["kind", "settled_by"] },
  /** From the request to the outcome, by the outcome's own time (completed_at - created_at). */
  TimeToOutcome: { unit: "Milliseconds", dimensions: ["kind", "settled_by"] },
  /** Webhook deliveries: signature verified, refused (signature, timestamp or headers), already applied, kept unmatched. */
  WebhookVerified: { unit: "Count", dimensions: [] },
  WebhookRefused: { unit: "Count", dimensions: [] },
  WebhookDuplicate: { unit: "Count", dimensions: [] },
  /** A delivery no operation took: a person's change, one several operations could own, or one that cannot be read. */
  WebhookUnmatched: { unit: "Count", dimensions: ["kept"] },
  /** One attempt of a call to Linq, answered or not. */
  LinqCallLatency: { unit: "Milliseconds", dimensions: ["call"] },
  /** Attempts beyond the first of one call. */
  LinqRetries: { unit: "Count", dimensions: ["call"] },
  /** Linq's 4xx answers, each try's, by its code: final refusals, and the ones retried (429/1007, 409/2009). */
  LinqRefusals: { unit: "Count", dimensions: ["call", "code"] },
  ReconcilerSettled: { unit: "Count", dimensions: [] },
  ReconcilerErrors: { unit: "Count", dimensions: [] },
  /** Age of the oldest operation still pending, each reconciler run (0 when none is). */
  OldestPendingAge: { unit: "Seconds", dimensions: [] },
  /** A batch of outcome events the stream publisher could not put on the bus (the stream retries it). */
  OutcomePublishFailures: { unit: "Count", dimensions: [] },
} as const satisfies Record<string, { unit: MetricUnit; dimensions: readonly string[] }>;

export type MetricName = keyof typeof metrics;

/** The dimension values a metric is recorded with: exactly its declared dimensions. */
export type MetricDimensions<N extends MetricName> = {
  readonly [D in (typeof metrics)[N]["dimensions"][number]]: string;
};
