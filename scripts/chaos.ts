/**
 * `npm run chaos`: the chaos engine (test/support/chaos.ts) in every sandbox world, with and without lost webhooks,
 * then one summary table; exits 1 when any run misses a target.
 *
 *   npm run chaos -- [--seed N | --seeds 1,2,3] [--ops 500] [--world name[,name]] [--drops 0|0.15[,…]]
 *
 * Each run is a child process of its own, with its own DynamoDB Local: the handlers are module singletons configured from
 * the environment, as in Lambda, so a fresh process is a fresh deployment, and a DynamoDB Local that kept every earlier
 * run's tables would slow the later runs down (and their timings would say nothing).
 */
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { runChaos, WORLDS, type ChaosOptions, type ChaosReport, type WorldName } from "../test/support/chaos.ts";

const DEFAULT_DROP_RATE = 0.15;

if (process.env.CHAOS_RUN !== undefined) {
  // A child: one run, its report to the parent.
  const report = await runChaos(JSON.parse(process.env.CHAOS_RUN) as ChaosOptions);
  process.send!(report, () => process.exit(0));
} else {
  process.exitCode = await main();
}

async function main(): Promise<number> {
  let options: ReturnType<typeof readArgs>;
  try {
    options = readArgs();
  } catch (error) {
    console.error(`chaos: ${(error as Error).message}`);
    return 2;
  }
  const reports: (ChaosReport | Failed)[] = [];
  for (const seed of options.seeds) {
    for (const world of options.worlds) {
      for (const dropRate of options.drops) {
        console.error(`chaos: ${world}, drops ${dropRate}, seed ${seed}, ${options.ops} operations…`);
        const report = await inChild({ seed, ops: options.ops, world, dropRate });
        reports.push(report);
        console.error(`chaos:   ${"faults" in report ? describeRun(report) : `crashed: ${report.misses[0]}`}`);
      }
    }
  }
  console.log(table(reports));
  return reports.every((report) => report.misses.length === 0) ? 0 : 1;
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      seeds: { type: "string" },
      ops: { type: "string", default: "500" },
      world: { type: "string", multiple: true },
      drops: { type: "string", multiple: true },
    },
  });
  const list = (given: string | string[] | undefined) =>
    given === undefined ? undefined : [given].flat().flatMap((value) => value.split(",").map((v) => v.trim()));
  const number = (label: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = Number(text);
    if (text === "" || !Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${label} must be a number from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
  const worlds = (list(values.world) ?? Object.keys(WORLDS)).map((name) => {
    if (!Object.hasOwn(WORLDS, name))
      throw new Error(`no world "${name}"; the worlds: ${Object.keys(WORLDS).join(", ")}`);
    return name as WorldName;
  });
  return {
    seeds: (list(values.seeds) ?? [values.seed ?? "1"]).map((seed) => number("seed", seed, 0, 2 ** 32 - 1)),
    ops: number("ops", values.ops, 1),
    worlds,
    drops: (list(values.drops) ?? ["0", String(DEFAULT_DROP_RATE)]).map((rate) => number("drops", rate, 0, 1)),
  };
}

/** A run that ended without a report. */
type Failed = Pick<ChaosReport, "world" | "dropRate" | "seed" | "misses">;

function inChild(run: ChaosOptions): Promise<ChaosReport | Failed> {
  return new Promise((resolve) => {
    // The child's stdout (the service's log lines) goes to stderr: stdout is the table's.
    const child = fork(import.meta.filename, [], {
      env: {
        ...process.env,
        CHAOS_RUN: JSON.stringify(run),
        LOG_LEVEL: process.env.LOG_LEVEL ?? "error",
        // The judge reads the records and the sandbox's truth, not CloudWatch: metric lines would bury its report.
        POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? "true",
      },
      stdio: ["ignore", 2, "inherit", "ipc"],
    });
    let report: ChaosReport | undefined;
    child.on("message", (message) => (report = message as ChaosReport));
    child.on("exit", (code, signal) => {
      const failed = { world: run.world, dropRate: run.dropRate, seed: run.seed };
      resolve(report ?? { ...failed, misses: [`the run ended without a report (${signal ?? `exit ${code}`})`] });
    });
  });
}

function describeRun(report: ChaosReport): string {
  const f = report.faults;
  const fired =
    `Linq 5xx ${f.failedBefore} before / ${f.failedAfter} after the work, webhooks ${f.dropped} dropped / ` +
    `${f.duplicated} duplicated / ${f.reordered} overtaken, ${f.humanChanges} people's changes, ` +
    `${f.viaEventBridge} via EventBridge, ${f.refused2013} refused 2013, ${report.unrecordedCalls} Linq calls no record names`;
  return `${report.misses.length === 0 ? "pass" : `MISS: ${report.misses.join("; ")}`} (${fired})`;
}

function table(reports: (ChaosReport | Failed)[]): string {
  const header = [
    "world",
    "drops",
    "seed",
    "operations",
    "proven wrong",
    "inferred",
    "inferred wrong",
    "of which undecidable",
    "dup side effects",
    "events missing/dup",
    "pending",
    "horizon ms",
    "seconds",
    "result",
  ];
  const rows = reports.map((r) => {
    const result = r.misses.length === 0 ? "pass" : "MISS";
    if (!("faults" in r))
      return [r.world, String(r.dropRate), String(r.seed), "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", result];
    return [
      r.world,
      String(r.dropRate),
      String(r.seed),
      `${r.operations}/${r.requests}`,
      String(r.provenWrong),
      String(r.inferred),
      String(r.inferredWrong),
      String(r.undecidable),
      String(r.duplicateSideEffects),
      `${r.eventsMissing}/${r.eventsDuplicate}`,
      String(r.pending),
      String(r.horizonMs),
      String(r.seconds),
      result,
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
