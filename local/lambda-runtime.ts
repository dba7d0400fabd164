/**
 * What Lambda's runtime does for every function that the local stack, hosting them all in one process, must do too:
 * the Powertools settings `stacks/` gives each function, and one scope per invocation. Here many invocations run at
 * once, as in Lambda's multi-concurrency runtime, so each runs in its own `InvokeStore` scope (the runtime's own
 * mechanism, which Powertools reads when `AWS_LAMBDA_MAX_CONCURRENCY` is set): its Lambda context, its operation's
 * log keys and its metrics stay its own instead of leaking into another's lines.
 */
import { InvokeStore, InvokeStoreBase } from "@aws/lambda-invoke-store";
import type { Context } from "aws-lambda";
import { METRICS_NAMESPACE, serviceName } from "../src/definitions/metrics.ts";

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

/** Sets the environment up and answers the wrapper that runs a handler's every invocation in a scope of its own. */
export async function lambdaRuntime(): Promise<<H extends Handler>(handler: H) => Handler> {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: serviceName("local"),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    AWS_LAMBDA_MAX_CONCURRENCY: "64",
  });
  const store = await InvokeStore.getInstanceAsync(true);
  return (handler) => (event, context) =>
    store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: (context as Context | undefined)?.awsRequestId }, () =>
      handler(event, context),
    );
}
