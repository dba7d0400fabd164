import { REQUEST_DELIVERY, requestPattern } from "../src/definitions/events.ts";
import type { BuiltFunction } from "./functions.ts";

/**
 * Where a request event ends up when it cannot be run: Lambda's on-failure record (the event, the error, the
 * condition: retries exhausted or event too old) or EventBridge's own undeliverable event (with ERROR_CODE and
 * ERROR_MESSAGE attributes). Nothing consumes it automatically: a malformed event is a bug to look at, not to replay.
 */
export function createRequestDeadLetterQueue(): sst.aws.Queue {
  return new sst.aws.Queue("RequestDeadLetters", {
    transform: {
      queue: {
        // SQS's maximum, so a failure found after a long weekend is still there to read.
        messageRetentionSeconds: 14 * 24 * 60 * 60,
        sqsManagedSseEnabled: true,
      },
    },
  });
}

export interface SubscriptionDependencies {
  readonly bus: sst.aws.Bus;
  readonly functions: readonly BuiltFunction[];
  readonly requestDeadLetterQueue: sst.aws.Queue;
}

/**
 * Every function that declares `subscribesTo` gets a rule on the project's bus with the same pattern the local bus
 * matches. Two failure paths, both bounded by REQUEST_DELIVERY and both ending in the dead-letter queue:
 * - the handler throws: Lambda's asynchronous invocation retries, then its on-failure destination;
 * - EventBridge cannot hand the event to Lambda at all (throttled, deleted, no permission): the target's retry policy,
 *   then the target's dead-letter config.
 */
export function subscribeRequestHandlers(deps: SubscriptionDependencies): void {
  const { bus, requestDeadLetterQueue: queue } = deps;
  const ruleArns: $util.Output<string>[] = [];

  for (const { definition, fn } of deps.functions) {
    if (!("subscribesTo" in definition)) continue;

    const subscriber = bus.subscribe(definition.name, fn, {
      transform: {
        // The pattern is requestPattern's own JSON rather than SST's `pattern` option, so it is byte-for-byte the
        // pattern the local bus routes by.
        rule: { eventPattern: JSON.stringify(requestPattern(definition.subscribesTo)) },
        // A function, not an object: subscribe() resolves its arguments before creating anything, and the queue's
        // ARN inside them would hide the whole subscription from `sst diff` until the queue exists.
        target: (args) => {
          args.retryPolicy = {
            maximumRetryAttempts: REQUEST_DELIVERY.maximumRetryAttempts,
            maximumEventAgeInSeconds: REQUEST_DELIVERY.maximumEventAgeSeconds,
          };
          args.deadLetterConfig = { arn: queue.arn };
        },
      },
    });
    ruleArns.push(subscriber.apply((s) => s.nodes.rule.arn));

    // SST's `retries` option would create this resource too, but without the event age or a destination.
    new aws.lambda.FunctionEventInvokeConfig(`${definition.name}AsyncDelivery`, {
      functionName: fn.name,
      maximumRetryAttempts: REQUEST_DELIVERY.maximumRetryAttempts,
      maximumEventAgeInSeconds: REQUEST_DELIVERY.maximumEventAgeSeconds,
      destinationConfig: { onFailure: { destination: queue.arn } },
    });
  }

  // EventBridge's dead-letter delivery needs a resource policy; only this service's rules may use it. The functions'
  // roles need none: they are granted sqs:SendMessage on their own (functions.ts).
  new aws.sqs.QueuePolicy("RequestDeadLettersPolicy", {
    queueUrl: queue.url,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        {
          sid: "EventBridgeRuleDeadLetters",
          actions: ["sqs:SendMessage"],
          resources: [queue.arn],
          principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
          conditions: [{ test: "ArnEquals", variable: "aws:SourceArn", values: ruleArns }],
        },
      ],
    }).json,
  });
}
