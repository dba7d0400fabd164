import type { Context } from "aws-lambda";
import { backlogPosition, operationStore } from "../src/app/dynamodb.ts";
import { linqClient, RECONCILER_LINQ_POLICY } from "../src/app/linq.ts";
import { systemClock } from "../src/app/system.ts";
import { readReconcilerConfig } from "../src/config.ts";
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

export async function handler(
  _event: unknown,
  context?: Pick<Context, "getRemainingTimeInMillis">,
): Promise<ReconcileReport> {
  const remaining = context?.getRemainingTimeInMillis?.();
  const report = await reconcile(deps, policy, {
    ...(remaining === undefined ? {} : { deadline: Date.now() + remaining - MARGIN_MS }),
    onError: ({ chatId, error }) => log.warn("reconciling a chat failed", { chatId, cause: String(error) }),
  });
  // Every few minutes, mostly with nothing to do: only a run that did something is worth a line.
  if (report.settled + report.errors > 0 || report.stoppedEarly) log.info("reconciled", { ...report });
  return report;
}
