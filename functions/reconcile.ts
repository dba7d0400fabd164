import { reconcilerDeps } from "../src/app.ts";
import { reconcile, type ReconcileReport } from "../src/domain/reconciler.ts";
import { log } from "../src/log.ts";

const { deps, policy } = reconcilerDeps();

export async function handler(): Promise<ReconcileReport> {
  const report = await reconcile(deps, policy);
  log.info("reconciled", { ...report });
  return report;
}
