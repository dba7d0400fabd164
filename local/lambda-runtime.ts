/**
 * What Lambda's runtime does for every function that the local stack, hosting them all in one process, must do too:
 * the Powertools settings `stacks/` gives each function, and one scope per invocation. Here many invocations run at
 * once, as in Lambda's multi-concurrency runtime, so each runs in its own invoke store scope (the runtime's own
 * mechanism, which Powertools reads from `globalThis.awslambda.InvokeStore` when `AWS_LAMBDA_MAX_CONCURRENCY` is set):
 * its Lambda context, its operation's log keys and its metrics stay its own instead of leaking into another's lines.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { InvokeStoreBase } from "@aws/lambda-invoke-store";
import type { Context } from "aws-lambda";
import { METRICS_NAMESPACE, serviceName } from "../src/definitions/metrics.ts";

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;
type Scope = Record<string | symbol, unknown>;

/**
 * The library's own multi-concurrency store is a process singleton fixed by whoever asks first (the AWS SDK asks too,
 * before this runs), so this is one of its kind, put where the runtime puts its own.
 */
class ScopedInvokeStore extends InvokeStoreBase {
  readonly #scopes = new AsyncLocalStorage<Scope>();

  getContext(): Scope | undefined {
    return this.#scopes.getStore();
  }

  hasContext(): boolean {
    return this.#scopes.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#scopes.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const scope = this.#scopes.getStore();
    if (scope === undefined) throw new Error("No invocation scope");
    scope[key] = value;
  }

  run<T>(context: Scope, fn: () => T): T {
    return this.#scopes.run(context, fn);
  }
}

/** Sets the environment up and answers the wrapper that runs a handler's every invocation in a scope of its own. */
export function lambdaRuntime(): <H extends Handler>(handler: H) => Handler {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: serviceName("local"),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    AWS_LAMBDA_MAX_CONCURRENCY: "64",
  });
  const runtime = ((globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } }).awslambda ??= {});
  if (!(runtime.InvokeStore instanceof ScopedInvokeStore)) runtime.InvokeStore = new ScopedInvokeStore();
  const store = runtime.InvokeStore;
  return (handler) => (event, context) =>
    store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: (context as Context | undefined)?.awsRequestId }, () =>
      handler(event, context),
    );
}
