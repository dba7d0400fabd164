import type { Context } from "aws-lambda";
import { backlogPosition, operationStore } from "../src/app/dynamodb.ts";
import { linqClient, RECONCILER_LINQ_POLICY } from "../src/app/linq.ts";
import { lambdaFunction, metrics } from "../src/app/observability.ts";
import { systemClock } from "../src/app/system.ts";
import { readReconcilerConfig } from "../src/config.ts";
import { oldestPendingAgeSeconds } from "../src/domain/backlog-age.ts";
import { LinqUnavailable } from "../src/domain/errors.ts";
import { reconcile, type ReconcileReport } from "../src/domain/reconciler.ts";
import { log } from "../src/log.ts";

const store = operationStore();
const deps = {
  store,
  backlog: store,
  position: backlogPosition(),
  linq: linqClient(RECONCILER_LINQ_POLICY)(),
  clock: systemClock,
};
const policy = readReconcilerConfig(process.env);
/**
 * Left after the deadline, whatever Linq does: no chat's read starts past the deadline, and one that started before
 * it takes at most the reconciler's Linq deadline, then its commit (with retries) and the position's save.
 */
const MARGIN_MS = RECONCILER_LINQ_POLICY.deadlineMs + 7_000;

export const handler = lambdaFunction(async (_event: unknown, context?: Partial<Context>): Promise<ReconcileReport> => {
  const remaining = context?.getRemainingTimeInMillis?.();
  const report = await reconcile(deps, policy, {
    ...(remaining === undefined ? {} : { deadline: Date.now() + remaining - MARGIN_MS }),
    onError: ({ chatId, error }) => {
      metrics.record("ReconcilerErrors", 1, {});
      const line = "reconciling a chat failed; the next run tries it again";
      // Linq slow or down is Linq's condition, with its cause; anything else is ours to look at.
      if (error instanceof LinqUnavailable) log.warn(line, { chat_id: chatId, error });
      else log.error(line, error, { chat_id: chatId });
    },
  });
  metrics.record("ReconcilerSettled", report.settled, {});
  metrics.record("OldestPendingAge", await oldestPendingAgeSeconds(store, systemClock), {});
  // Every few minutes, mostly with nothing to do: only a run that did something is worth a line.
  if (report.settled + report.errors > 0 || report.stoppedEarly) log.info("reconciled", { ...report });
  return report;
});
