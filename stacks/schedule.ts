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

    // The next tick is the retry. Lambda's default two async retries would only pile runs on top of the next tick's.
    new aws.lambda.FunctionEventInvokeConfig(`${definition.name}AsyncDelivery`, {
      functionName: fn.name,
      maximumRetryAttempts: 0,
    });
  }
}
