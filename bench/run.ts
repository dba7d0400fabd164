/**
 * `npm run bench`: issue 12's targets, each figure beside a baseline measured in the same run on the same machine
 * (absolute times on a shared 2-core machine mean little; ratios travel). One table, printed and written to
 * bench/results/latest.md and latest.json.
 *
 *   1-2  DynamoDB work per lifecycle and per webhook, counted on the handlers' client  bench/dynamodb-work.ts
 *   3    signed webhook settlements/s vs conditional UpdateItem/s                      bench/throughput.ts
 *   4    API overhead over Linq alone at concurrency 1; p99/p50 at 16                  bench/overhead.ts
 *   5    cold import and bundle size of every function as SST builds it               bench/cold-start.ts
 *   6    10,000 mixed requests at 32 through npm start: errors, latency, heap after GC bench/load.ts
 *
 * Knobs (environment): BENCH_ROUNDS (calls per operation at concurrency 1, 200), BENCH_SETTLEMENTS (webhooks per
 * concurrency, 300), BENCH_HISTORY (past operations of the long chat, 5000), BENCH_IMPORT_RUNS (fresh processes per
 * bundle, 9), BENCH_LOAD_REQUESTS (10000), BENCH_ONLY (e.g. "1,3": only those targets).
 */
import { coldStart } from "./cold-start.ts";
import { dynamoWork } from "./dynamodb-work.ts";
import { heapProbe, load } from "./load.ts";
import { overhead } from "./overhead.ts";
import { ROOT, startSandboxAlone, startService } from "./processes.ts";
import { markdown, writeResults, type Row } from "./table.ts";
import { throughput } from "./throughput.ts";

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const settings = {
  rounds: setting("BENCH_ROUNDS", 200),
  settlements: setting("BENCH_SETTLEMENTS", 300),
  history: setting("BENCH_HISTORY", 5000),
  importRuns: setting("BENCH_IMPORT_RUNS", 9),
  loadRequests: setting("BENCH_LOAD_REQUESTS", 10_000),
};
const only = process.env.BENCH_ONLY?.split(",").map(Number);
const wanted = (...targets: number[]) => only === undefined || targets.some((target) => only.includes(target));
const step = (what: string) => process.stderr.write(`bench: ${what}…\n`);

// The handlers of the in-process stack (targets 1-2) read these when they load: the table is the output, not their
// log lines or metrics.
process.env.LOG_LEVEL ??= "silent";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

const rows: Row[] = [];
if (wanted(1, 2)) {
  step(`DynamoDB work per lifecycle, and a webhook in chats of 5 and ${settings.history} operations`);
  rows.push(...(await dynamoWork({ history: settings.history })));
}
if (wanted(3)) {
  step(`${settings.settlements} webhook settlements at concurrency 1 and 32 against raw UpdateItems`);
  const service = await startService({ SANDBOX_DROP_RATE: "1" });
  try {
    rows.push(...(await throughput(service, { settlements: settings.settlements })));
  } finally {
    await service.stop();
  }
}
if (wanted(4)) {
  step(`${settings.rounds} updates and removals through npm start and to Linq alone, then 16 at a time`);
  const service = await startService();
  const linqAlone = await startSandboxAlone();
  try {
    rows.push(
      ...(await overhead(service, linqAlone, {
        rounds: settings.rounds,
        warmup: 30,
        concurrentCalls: 4 * settings.rounds,
      })),
    );
  } finally {
    await service.stop();
    await linqAlone.stop();
  }
}
if (wanted(5)) {
  step(`every function's cold import, ${settings.importRuns} fresh processes each`);
  rows.push(...(await coldStart({ runs: settings.importRuns })));
}
if (wanted(6)) {
  step(`${settings.loadRequests} mixed requests, 32 at a time, through npm start`);
  const probe = await heapProbe();
  const service = await startService(probe.env);
  try {
    rows.push(...(await load(service, probe, { requests: settings.loadRequests, connections: 32 })));
  } finally {
    await service.stop();
    await probe.remove();
  }
}

console.log(markdown(rows));
const file = await writeResults(ROOT, rows, settings);
step(`wrote ${file}`);
process.exitCode = rows.every((row) => row.pass) ? 0 : 1;
