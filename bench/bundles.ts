/**
 * `npm run bench:bundles`: every Lambda function in src/definitions/functions.ts, bundled exactly as SST 4.17.1 bundles
 * a `sst.aws.Function` Node handler for `sst deploy`, and again as `nodejs.minify: true` would. One table: bundle
 * bytes, which of the heavy packages made it into the bundle (from esbuild's metafile, not by grepping), and the cold
 * import time of each bundle as a ratio against a baseline bundle (`@middy/core` + `@aws-sdk/lib-dynamodb`'s
 * DynamoDBDocumentClient) built the same way and timed interleaved in the same run. Also written to
 * bench/results/bundles.json, a folder that ignores itself (its .gitignore says `*`): timings are this machine's.
 *
 *   npm run bench:bundles -- [--runs N] [--keep] [--plain-only]   (--plain-only: as deployed, without the minified)
 *
 * How SST builds (read from github.com/anomalyco/sst (formerly sst/sst), tag v4.17.0, pkg/runtime/node/build.go
 * `Runtime.Build`, with pkg/runtime/node/node.go and pkg/runtime/runtime.go; the sst-linux-x64@4.17.1 binary's Go
 * build info says it was built from a0bd20f76288 (not in the snapshot read, whose newest tag is v4.17.0) with
 * github.com/evanw/esbuild v0.27.2, as v4.17.0's go.mod says, and it carries the same banner strings; the npm
 * `esbuild@0.27.2` used here is that same esbuild):
 * - entry: the handler's `dir/file` with the first of .ts .tsx .mts .cts .js .jsx .mjs .cjs that exists, from the root
 * - outfile `.sst/artifacts/<Name>-src/bundle.mjs`; bundle: true, write: true, metafile: true, platform: "node"
 * - format: "esm" (nodejs.format "cjs" not used here), splitting: nodejs.splitting (unset: false)
 * - target: by runtime, nodejs24.x -> es2024 (nodejs22.x and 20.x -> es2023, ...), unless nodejs.esbuild.target
 * - mainFields ["module", "main"]; conditions: esbuild's defaults (nil); keepNames: true; loader: nodejs.loader
 * - external: ["sharp", "pg-native"] + the nodejs.install packages + nodejs.esbuild.external; everything else,
 *   the AWS SDK included, is bundled
 * - banner.js: `import { createRequire as topLevelCreateRequire } from 'module';` / `const require =
 *   topLevelCreateRequire(import.meta.url);` / `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL }
 *   from "url"` / `const __filename = ...` / `const __dirname = ...`, joined with "\n" and nodejs.banner ("")
 * - plugins: "sst-version-check" (an `sst` import must resolve to the CLI's version), plus nodejs.plugins
 * - minify: nodejs.minify, a Go bool: off unless set (the docs' "@default true" is not what the code does); when set,
 *   minifyWhitespace + minifySyntax + minifyIdentifiers
 * - sourcemap: "linked" always (nodejs.esbuild.sourcemap could change it). nodejs.sourcemap unset: the .map files are
 *   left out of the zip (uploaded for the Console); set (true, and oddly false too): they ship inside the zip.
 * - esbuild's working directory is the sst process's, the project root: the unminified bundle's `// path` comments
 *   are relative to it, and the map's sources are relative to the outfile's folder.
 * This project (stacks/functions.ts): runtime nodejs24.x, arm64, no `nodejs` options at all, so no minify, no install,
 * no splitting, and the maps stay out of the zip; no NODE_OPTIONS, so nothing parses a map at cold start.
 * Bundles are built at the same depth as SST's (.sst/bench-bundles/<Name>-src), so the maps are byte for byte SST's,
 * then the bundle alone (what the zip holds) is copied to a temporary folder with no node_modules above it to be
 * imported, as in Lambda's /var/task.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import * as prettier from "prettier";
import { linkedSecretsEnvironment } from "../src/config.ts";
import {
  environmentNames,
  functions,
  secretNames,
  type FunctionDefinition,
  type SecretName,
} from "../src/definitions/functions.ts";

const SST_VERSION = "4.17.1";
const RUNTIME = "nodejs24.x";
const TARGET = "es2024";
const FORCE_EXTERNAL = ["sharp", "pg-native"];
const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
const BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "", // nodejs.banner
].join("\n");

/** What stacks/functions.ts passes today; checked against its text below so a change there is not silently missed. */
const PROJECT = { runtime: RUNTIME };
/** What it must no longer say: each makes every cold start ship or parse a source map. */
const SOURCE_MAP_OPTIONS = ["nodejs: { sourcemap", "--enable-source-maps"];

const TRACKED = ["@linqapp/sdk", "@aws-sdk/client-eventbridge", "@aws-sdk/client-sqs", "@aws-sdk/client-dynamodb"];

/** Dummy values for the variables `environmentNames()` gives a function; nothing here is reachable. */
const DUMMY_ENV: Record<string, string> = {
  OPERATIONS_TABLE: "x",
  LEDGER_TABLE: "l",
  EVENT_BUS_NAME: "b",
  REQUEST_DLQ_URL: "http://127.0.0.1:1/q",
};

/** Dummy values of the secrets a function links, in the form SST's `Resource` reads them. */
const DUMMY_SECRETS: Record<SecretName, string> = {
  LinqApiKey: "k",
  LinqWebhookSecret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
  LinqLegacyWebhookSecret: "legacy-secret",
  ServiceTokens: "t",
};

/** The part of Lambda's own environment that code can notice at import, plus what stacks/ adds to every function. */
const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: "us-east-1",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
  LANG: "en_US.UTF-8",
  TZ: ":UTC",
};

const BASELINE = {
  name: "(baseline)",
  handler: "middy + DynamoDBDocumentClient",
  source: [
    `import middy from "@middy/core";`,
    `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";`,
    `import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";`,
    `const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: process.env.AWS_REGION }), {`,
    `  marshallOptions: { removeUndefinedValues: true },`,
    `});`,
    `export const handler = middy().handler(async () => ({ statusCode: 200, body: typeof client.send }));`,
  ].join("\n"),
};

const MARKER = "@@bench-bundles@@";
/** Imported in a fresh `node` per sample; any socket, DNS lookup or fetch during the import fails the sample. */
const RUNNER = `
import dns from "node:dns";
import net from "node:net";
import { pathToFileURL } from "node:url";
const attempts = [];
const refuse = (what) => { attempts.push(what); throw new Error("network call while importing: " + what); };
net.Socket.prototype.connect = function (...args) { refuse("connect " + JSON.stringify(args[0])); };
dns.lookup = (host) => refuse("dns.lookup " + host);
dns.promises.lookup = async (host) => refuse("dns.promises.lookup " + host);
globalThis.fetch = async (input) => refuse("fetch " + String(input));
const [file, exportName] = process.argv.slice(2);
const started = performance.now();
const mod = await import(pathToFileURL(file).href);
const ms = performance.now() - started;
if (typeof mod[exportName] !== "function") throw new Error("the bundle exports no function " + exportName);
await new Promise((resolve) => setTimeout(resolve, 25));
if (attempts.length > 0) throw new Error("network calls while importing: " + attempts.join(", "));
process.stdout.write("${MARKER}" + JSON.stringify({ ms }) + "\\n");
process.exit(0);
`;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUILD_DIR = path.join(ROOT, ".sst", "bench-bundles");
const RESULTS = path.join(ROOT, "bench", "results", "bundles.json");
const SAMPLE_TIMEOUT_MS = 30_000;

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "15" },
    keep: { type: "boolean", default: false },
    "plain-only": { type: "boolean", default: false },
  },
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);

type Variant = "plain" | "minified";
const VARIANTS: readonly Variant[] = args["plain-only"] ? ["plain"] : ["plain", "minified"];

interface Built {
  bundle: string;
  bytes: number;
  mapBytes: number;
  /** Bytes each package contributes to the output, from the metafile's output inputs. */
  packages: Record<string, number>;
  /** Bytes from files outside node_modules: the project's own code. */
  ownBytes: number;
  /** Packages read while bundling (metafile inputs), whether or not any of their code was kept. */
  parsed: string[];
  warnings: number;
}

interface Target {
  name: string;
  handler: string;
  exportName: string;
  env: Record<string, string>;
  built: Partial<Record<Variant, Built>>;
  errors: string[];
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function checkProjectOptions(): void {
  const file = path.join(ROOT, "stacks", "functions.ts");
  if (!existsSync(file)) return log(`warning: ${file} is gone; assuming ${JSON.stringify(PROJECT)}`);
  const text = readFileSync(file, "utf8").replace(/\s+/g, " ");
  const expected = `runtime: "${PROJECT.runtime}"`;
  if (!text.includes(expected))
    log(`warning: stacks/functions.ts no longer says \`${expected}\`; update bench/bundles.ts`);
  for (const snippet of SOURCE_MAP_OPTIONS) {
    if (text.includes(snippet)) log(`warning: stacks/functions.ts says \`${snippet}\` again; update bench/bundles.ts`);
  }
}

/** pkg/runtime/node/node.go `getFile`: `dir/file.export`, the first existing extension, relative to the root. */
function entryOf(handler: string): { entry: string | undefined; exportName: string } {
  const dir = path.dirname(handler);
  const parts = path.basename(handler).split(".");
  const exportName = parts.pop() ?? "handler";
  const base = parts.join(".");
  const entry = NODE_EXTENSIONS.map((ext) => path.resolve(ROOT, dir, base + ext)).find((file) => existsSync(file));
  return { entry, exportName };
}

/** build.go's "sst-version-check" plugin: an `sst` import must be the CLI's own version. */
const sstVersionCheck: esbuild.Plugin = {
  name: "sst-version-check",
  setup(build) {
    const skip = Symbol("skip");
    build.onResolve({ filter: /^sst$/ }, async (resolveArgs) => {
      if (resolveArgs.pluginData === skip) return undefined;
      const resolved = await build.resolve("sst", {
        resolveDir: resolveArgs.resolveDir,
        importer: resolveArgs.importer,
        kind: resolveArgs.kind,
        with: resolveArgs.with,
        pluginName: "sst-version-check",
        pluginData: skip,
        namespace: resolveArgs.namespace,
      });
      if (!resolved.path) return { errors: resolved.errors };
      let dir = path.dirname(resolved.path);
      while (!existsSync(path.join(dir, "package.json")) && dir !== path.dirname(dir)) dir = path.dirname(dir);
      const { version } = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8")) as { version?: string };
      if (version !== SST_VERSION) {
        return {
          errors: [
            { text: `The sst package your application is importing (${version}) does not match ${SST_VERSION}` },
          ],
        };
      }
      return { path: resolved.path };
    });
  },
};

function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return undefined;
  const [scope, name] = input.slice(at + "node_modules/".length).split("/");
  return scope?.startsWith("@") ? `${scope}/${name}` : scope;
}

async function build(entry: { file: string } | { source: string }, outDir: string, variant: Variant): Promise<Built> {
  const outfile = path.join(outDir, "bundle.mjs");
  const minify = variant === "minified";
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    ...("file" in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: "bench-baseline.ts", loader: "ts" } }),
    platform: "node",
    external: [...FORCE_EXTERNAL],
    keepNames: true,
    bundle: true,
    splitting: false,
    metafile: true,
    outfile,
    plugins: [sstVersionCheck],
    sourcemap: "linked",
    write: true,
    format: "esm",
    target: TARGET,
    mainFields: ["module", "main"],
    banner: { js: BANNER },
    minifyWhitespace: minify,
    minifySyntax: minify,
    minifyIdentifiers: minify,
    logLevel: "silent",
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith("bundle.mjs"))?.[1];
  if (!output) throw new Error(`esbuild wrote no bundle.mjs for ${outfile}`);
  const packages: Record<string, number> = {};
  let ownBytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    if (pkg === undefined) ownBytes += bytesInOutput;
    else packages[pkg] = (packages[pkg] ?? 0) + bytesInOutput;
  }
  const parsed = [...new Set(Object.keys(result.metafile.inputs).map(packageOf))].filter((p) => p !== undefined);
  return {
    bundle: outfile,
    bytes: (await stat(outfile)).size,
    mapBytes: (await stat(`${outfile}.map`)).size,
    packages: Object.fromEntries(Object.entries(packages).sort(([, a], [, b]) => b - a)),
    ownBytes,
    parsed: parsed.sort(),
    warnings: result.warnings.length,
  };
}

function targetFor(definition: FunctionDefinition): Target {
  const env: Record<string, string> = { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: definition.name };
  for (const name of environmentNames(definition)) {
    if (DUMMY_ENV[name] === undefined) log(`warning: no dummy value for ${name}; using "x"`);
    env[name] = DUMMY_ENV[name] ?? "x";
  }
  const secrets = secretNames(definition).map((name) => [name, DUMMY_SECRETS[name]] as const);
  Object.assign(env, linkedSecretsEnvironment(Object.fromEntries(secrets)));
  const { exportName } = entryOf(definition.handler);
  return { name: definition.name, handler: definition.handler, exportName, env, built: {}, errors: [] };
}

interface Sample {
  importMs: number;
  wallMs: number;
}

interface Timing {
  /** Median time of `await import(bundle)` inside a fresh `node`. */
  importMs: number;
  /** Median spawn-to-exit time of the same processes. */
  wallMs: number;
  /** importMs over the same variant's baseline importMs. */
  ratio: number | undefined;
  samplesMs: number[];
}

interface VariantResult {
  bytes: number;
  mapBytes: number;
  ownBytes: number;
  /** Bytes of each tracked package in the bundle (0: none), and whether esbuild read it at all. */
  tracked: Record<string, { bytes: number; parsed: boolean }>;
  packages: Record<string, number>;
  warnings: number;
  import: Timing | undefined;
}

function sample(runner: string, bundle: string, exportName: string, env: Record<string, string>): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [runner, bundle, exportName], {
      cwd: path.dirname(bundle),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), SAMPLE_TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const line = stdout.split("\n").find((l) => l.startsWith(MARKER));
      if (code !== 0 || line === undefined) {
        const why = stderr.trim().split("\n").slice(-6).join("\n") || stdout.trim().slice(-500);
        return reject(new Error(`import failed (${signal ?? `exit ${code}`}): ${why}`));
      }
      resolve({ importMs: (JSON.parse(line.slice(MARKER.length)) as { ms: number }).ms, wallMs });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

checkProjectOptions();
const targets = functions.map((definition) => targetFor(definition));
const baseline: Target = {
  name: BASELINE.name,
  handler: BASELINE.handler,
  exportName: "handler",
  env: { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: "Baseline" },
  built: {},
  errors: [],
};
const all = [baseline, ...targets];

const sstDirExisted = existsSync(path.dirname(BUILD_DIR));
await rm(BUILD_DIR, { recursive: true, force: true });
const runDir = await mkdtemp(path.join(tmpdir(), "bench-bundles-"));
const runner = path.join(runDir, "runner.mjs");
await writeFile(runner, RUNNER);

try {
  log(`building ${all.length} bundles x ${VARIANTS.length} variants with esbuild ${esbuild.version}`);
  for (const target of all) {
    for (const variant of VARIANTS) {
      const outDir = path.join(BUILD_DIR, `${target.name.replace(/\W/g, "")}-${variant === "plain" ? "src" : "min"}`);
      try {
        let entry: { file: string } | { source: string } = { source: BASELINE.source };
        if (target !== baseline) {
          const file = entryOf(target.handler).entry;
          if (file === undefined) throw new Error(`handler not found: ${target.handler}`);
          entry = { file };
        }
        const built = await build(entry, outDir, variant);
        // Imported from a folder with no node_modules above it, like /var/task.
        const runAt = path.join(runDir, path.basename(outDir));
        await mkdir(runAt);
        // The map stays behind, as SST leaves it out of the zip.
        await copyFile(built.bundle, path.join(runAt, "bundle.mjs"));
        target.built[variant] = { ...built, bundle: path.join(runAt, "bundle.mjs") };
      } catch (error) {
        target.errors.push(`${variant} build: ${(error as Error).message}`);
      }
    }
  }

  // One untimed round first: warms the file cache and drops a bundle that cannot even be imported.
  interface Job {
    target: Target;
    variant: Variant;
    bundle: string;
    samples: Sample[];
  }
  const jobs: Job[] = all.flatMap((target) =>
    VARIANTS.flatMap((variant) => {
      const built = target.built[variant];
      return built ? [{ target, variant, bundle: built.bundle, samples: [] }] : [];
    }),
  );
  const live: Job[] = [];
  for (const job of jobs) {
    try {
      await sample(runner, job.bundle, job.target.exportName, job.target.env);
      live.push(job);
    } catch (error) {
      job.target.errors.push(`${job.variant} ${(error as Error).message}`);
    }
  }
  for (let round = 1; round <= RUNS; round++) {
    log(`import round ${round}/${RUNS} (${live.length} bundles, shuffled)`);
    for (const job of shuffle([...live])) {
      job.samples.push(await sample(runner, job.bundle, job.target.exportName, job.target.env));
    }
  }

  const timing = (target: Target, variant: Variant): Timing | undefined => {
    const job = jobs.find((j) => j.target === target && j.variant === variant);
    if (!job || job.samples.length === 0) return undefined;
    const base = jobs.find((j) => j.target === baseline && j.variant === variant);
    const importMs = median(job.samples.map((s) => s.importMs));
    const baseMs = base && base.samples.length > 0 ? median(base.samples.map((s) => s.importMs)) : undefined;
    return {
      importMs,
      wallMs: median(job.samples.map((s) => s.wallMs)),
      ratio: baseMs === undefined ? undefined : importMs / baseMs,
      samplesMs: job.samples.map((s) => Math.round(s.importMs * 10) / 10),
    };
  };

  const rows = all.map((target) => ({
    name: target.name,
    handler: target.handler,
    env: Object.keys(target.env).sort(),
    errors: target.errors,
    variants: Object.fromEntries(
      VARIANTS.map((variant): [Variant, VariantResult | undefined] => {
        const built = target.built[variant];
        return [
          variant,
          built && {
            bytes: built.bytes,
            mapBytes: built.mapBytes,
            ownBytes: built.ownBytes,
            tracked: Object.fromEntries(
              TRACKED.map((pkg) => [pkg, { bytes: built.packages[pkg] ?? 0, parsed: built.parsed.includes(pkg) }]),
            ),
            packages: built.packages,
            warnings: built.warnings,
            import: timing(target, variant),
          },
        ];
      }),
    ) as Record<Variant, VariantResult | undefined>,
  }));

  // The table.
  const bytes = (n: number | undefined) => (n === undefined ? "-" : n.toLocaleString("en-US"));
  const ms = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(0));
  const ratio = (n: number | undefined) => (n === undefined ? "-" : `${n.toFixed(2)}x`);
  const short = (pkg: string) => pkg.replace(/^@aws-sdk\/client-/, "").replace(/^@linqapp\//, "linq ");
  const header = [
    "function",
    "bytes",
    "min bytes",
    ...TRACKED.map(short),
    "import ms",
    "vs base",
    "min import ms",
    "min vs base",
  ];
  const lines = rows.map((row) => {
    const plain = row.variants.plain;
    const min = row.variants.minified;
    const has = (pkg: string) => {
      const sizes = [plain, min].map((v) => v?.tracked[pkg]?.bytes);
      if (sizes.every((s) => s === undefined)) return "?";
      return sizes.some((s) => (s ?? 0) > 0) ? "yes" : "no";
    };
    return [
      row.name + (row.errors.length > 0 ? " (!)" : ""),
      bytes(plain?.bytes),
      bytes(min?.bytes),
      ...TRACKED.map(has),
      ms(plain?.import?.importMs),
      ratio(plain?.import?.ratio),
      ms(min?.import?.importMs),
      ratio(min?.import?.ratio),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(
    `SST ${SST_VERSION} Node build (esm, ${TARGET}, maps built but not in the zip, keepNames), esbuild ${esbuild.version}, ` +
      `node ${process.version} ${process.arch}; import: median of ${RUNS} fresh processes, ` +
      "ratio to the baseline's median",
  );
  console.log(format(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of lines) console.log(format(line));
  for (const row of rows) for (const error of row.errors) console.log(`(!) ${row.name}: ${error}`);

  await mkdir(path.dirname(RESULTS), { recursive: true });
  // Results are this machine's: the folder ignores itself rather than be committed by accident.
  await writeFile(path.join(path.dirname(RESULTS), ".gitignore"), "*\n");
  const json = JSON.stringify({
    createdAt: new Date().toISOString(),
    sst: SST_VERSION,
    esbuild: esbuild.version,
    node: process.version,
    arch: process.arch,
    runtime: RUNTIME,
    target: TARGET,
    runs: RUNS,
    importEnv: LAMBDA_ENV,
    rows,
  });
  const config = (await prettier.resolveConfig(RESULTS)) ?? {};
  await writeFile(RESULTS, await prettier.format(json, { ...config, parser: "json" }));
  log(`wrote ${path.relative(ROOT, RESULTS)}`);
} finally {
  await rm(runDir, { recursive: true, force: true });
  if (!args.keep) {
    await rm(BUILD_DIR, { recursive: true, force: true });
    if (!sstDirExisted) await rm(path.dirname(BUILD_DIR), { recursive: true, force: true });
  } else log(`kept the bundles in ${path.relative(ROOT, BUILD_DIR)}`);
}
