import { readReconcilerConfig } from "../src/config.ts";
import { METRICS_NAMESPACE, serviceName, type MetricName } from "../src/definitions/metrics.ts";
import type { BuiltFunction } from "./functions.ts";

export interface AlarmDependencies {
  readonly functions: readonly BuiltFunction[];
  readonly api: sst.aws.ApiGatewayV2;
  readonly requestDeadLetterQueue: sst.aws.Queue;
  readonly outcomeDeadLetterQueue: sst.aws.Queue;
}

/** Five minutes: the reconciler's schedule, and CloudWatch's usual period for Lambda and SQS metrics. */
const PERIOD_SECONDS = 300;
/** Failed outcomes above this share of all outcomes in a quarter hour, once there are enough to judge. */
const FAILED_SHARE_PERCENT = 20;
const FAILED_SHARE_MIN_OUTCOMES = 10;
/** A refusal or two is someone probing the URL; more is likely our secret out of step with Linq's (a rotation). */
const WEBHOOK_REFUSALS_PER_PERIOD = 5;
/** Linq down answers 502/504 through us: a few are Linq's hiccups, more is worth a look. */
const API_5XX_PER_PERIOD = 5;

/**
 * Every alarm goes to one SNS topic that the team subscribes to (email, chat, pager), both when it fires and when it
 * clears. Counters treat missing data as fine (nothing happened); the backlog age, reported by every reconciler run,
 * treats silence as trouble. The README's runbook says what each alarm means and what to do.
 */
export function createAlarms(deps: AlarmDependencies): sst.aws.SnsTopic {
  const topic = new sst.aws.SnsTopic("Alarms");
  const notify = { alarmActions: [topic.arn], okActions: [topic.arn] };
  const service = { service: serviceName($app.stage) };
  const ours = (metricName: MetricName) => ({ namespace: METRICS_NAMESPACE, metricName, dimensions: service });
  /** Fires on any occurrence within one period; no data is nothing happened. */
  const anyInPeriod = {
    period: PERIOD_SECONDS,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    treatMissingData: "notBreaching",
    ...notify,
  };

  for (const [name, queue] of [
    ["RequestDeadLetters", deps.requestDeadLetterQueue],
    ["OutcomeDeadLetters", deps.outcomeDeadLetterQueue],
  ] as const) {
    new aws.cloudwatch.MetricAlarm(`${name}Alarm`, {
      alarmDescription: `${name} holds messages: list them, fix the cause, redrive them (README, runbook).`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: queue.nodes.queue.name },
      statistic: "Maximum",
      ...anyInPeriod,
    });
  }

  // Linq's own refusals (a DM chat, too few participants) count as failures too: a burst of them is a caller's bug.
  new aws.cloudwatch.MetricAlarm("FailedOutcomesAlarm", {
    alarmDescription:
      `More than ${FAILED_SHARE_PERCENT}% of operations failed in 15 minutes: see OperationFailed by settled_by ` +
      "and the failed records' error codes.",
    metricQueries: [
      { id: "failed", metric: { ...ours("OperationFailed"), stat: "Sum", period: 3 * PERIOD_SECONDS } },
      { id: "succeeded", metric: { ...ours("OperationSucceeded"), stat: "Sum", period: 3 * PERIOD_SECONDS } },
      {
        id: "share",
        label: "failed %",
        returnData: true,
        expression:
          `IF(FILL(failed, 0) + FILL(succeeded, 0) >= ${FAILED_SHARE_MIN_OUTCOMES}, ` +
          "100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(succeeded, 0)), 0)",
      },
    ],
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: FAILED_SHARE_PERCENT,
    treatMissingData: "notBreaching",
    ...notify,
  });

  new aws.cloudwatch.MetricAlarm("WebhookRefusalsAlarm", {
    alarmDescription:
      "Webhook deliveries refused for their signature: is LinqWebhookSecret the subscription's signing secret? " +
      "(the refusal reason is on each line)",
    ...ours("WebhookRefused"),
    statistic: "Sum",
    period: PERIOD_SECONDS,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: WEBHOOK_REFUSALS_PER_PERIOD,
    treatMissingData: "notBreaching",
    ...notify,
  });

  // The functions run on the config's defaults (stacks/ sets no RECONCILE_*): past the longest fail-after deadline
  // and one more reconciler run, every operation should have been settled.
  const deadlineSeconds = Math.max(...Object.values(readReconcilerConfig({}).failAfterMs)) / 1000;
  new aws.cloudwatch.MetricAlarm("OldestPendingAlarm", {
    alarmDescription:
      "An operation is pending past its deadline, or the reconciler has stopped reporting: check the reconciler's " +
      "errors and duration, and Linq.",
    ...ours("OldestPendingAge"),
    statistic: "Maximum",
    period: PERIOD_SECONDS,
    evaluationPeriods: 3,
    comparisonOperator: "GreaterThanThreshold",
    threshold: deadlineSeconds + PERIOD_SECONDS,
    treatMissingData: "breaching",
    ...notify,
  });

  new aws.cloudwatch.MetricAlarm("ReconcilerErrorsAlarm", {
    alarmDescription: "The reconciler failed on chats two runs in a row: the cause is on its log lines.",
    ...ours("ReconcilerErrors"),
    statistic: "Sum",
    period: PERIOD_SECONDS,
    evaluationPeriods: 2,
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    treatMissingData: "notBreaching",
    ...notify,
  });

  for (const { definition, fn } of deps.functions) {
    // A scheduled function runs alone (reserved concurrency 1): a tick that finds the last run still going is
    // throttled by design, and a backlog it cannot keep up with shows as OldestPendingAge instead.
    const watched = "schedule" in definition ? (["Errors"] as const) : (["Errors", "Throttles"] as const);
    for (const metricName of watched) {
      new aws.cloudwatch.MetricAlarm(`${definition.name}${metricName}Alarm`, {
        alarmDescription: `${definition.name}: Lambda ${metricName.toLowerCase()} (see its log group).`,
        namespace: "AWS/Lambda",
        metricName,
        dimensions: { FunctionName: fn.name },
        statistic: "Sum",
        ...anyInPeriod,
      });
    }
  }

  new aws.cloudwatch.MetricAlarm("Api5xxAlarm", {
    alarmDescription: "The HTTP API answered 5xx: Linq unavailable (502/504, code 3006) or a failure of ours (500).",
    namespace: "AWS/ApiGateway",
    metricName: "5xx",
    dimensions: { ApiId: deps.api.nodes.api.id, Stage: "$default" },
    statistic: "Sum",
    period: PERIOD_SECONDS,
    evaluationPeriods: 1,
    comparisonOperator: "GreaterThanThreshold",
    threshold: API_5XX_PER_PERIOD,
    treatMissingData: "notBreaching",
    ...notify,
  });

  return topic;
}
