/**
 * Logs and metrics around every handler: one middleware list, used by the HTTP builders and `lambdaFunction` alike, so
 * each invocation gets the Lambda context on its log lines, its operation's ids cleared when it ends, and its metrics
 * written once, whether it answered or threw.
 */
import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { EmfMetrics } from "../adapters/emf-metrics.ts";
import { logger } from "../log.ts";

/** The one metrics recorder per process. */
export const metrics = new EmfMetrics();

/** Outermost: its `after` runs last, so the request's own log line still carries the operation's ids. */
export function observability<E, R>(): middy.MiddlewareObj<E, R>[] {
  const flush = () => metrics.flush();
  return [
    injectLambdaContext(logger, { resetKeys: true }) as middy.MiddlewareObj<E, R>,
    { name: "metricsFlush", after: flush, onError: flush },
  ];
}

/** A handler that is not HTTP (events, streams, schedules), with the same observability. */
export function lambdaFunction<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
): middy.MiddyfiedHandler<E, R, Error, Context> {
  return middy<E, R, Error, Context>()
    .use(observability<E, R>())
    .handler((event, context) => handler(event, context));
}
