import { reconcilerDeps } from "../src/app.ts";
import { reconcile, type ReconcileReport } from "../src/domain/reconciler.ts";
import { log } from "../src/log.ts";

const { deps, policy } = reconcilerDeps();

export async function handler(): Promise<ReconcileReport> {
  const report = await reconcile(deps, policy);
  // Every few minutes, mostly with nothing to do: only a run that did something is worth a line.
  if (report.checked + report.published + report.errors > 0) log.info("reconciled", { ...report });
  return report;
}
