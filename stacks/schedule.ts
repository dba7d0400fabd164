import { SCHEDULE_DELIVERY } from "../src/definitions/functions.ts";
import type { BuiltFunction } from "./functions.ts";

/**
 * Runs every function that declares a `schedule`, through EventBridge Scheduler: `sst.aws.Cron` (EventBridge rules) is
 * deprecated in SST 4 in favour of `CronV2`, and the definitions are written as Scheduler expressions.
 */
export function scheduleFunctions(functions: readonly BuiltFunction[]): void {
  for (const { definition, fn } of functions) {
    if (!("schedule" in definition)) continue;

    new sst.aws.CronV2(`${definition.name}Schedule`, {
      function: fn,
      schedule: definition.schedule,
    });

    // The next tick is the retry: no Lambda retries, and a throttled tick is dropped, not run late (SCHEDULE_DELIVERY).
    new aws.lambda.FunctionEventInvokeConfig(`${definition.name}AsyncDelivery`, {
      functionName: fn.name,
      maximumRetryAttempts: SCHEDULE_DELIVERY.maximumRetryAttempts,
      maximumEventAgeInSeconds: SCHEDULE_DELIVERY.maximumEventAgeSeconds,
    });
  }
}
