/**
 * `npm start` as someone runs it, twice over one DYNAMODB_DATA_DIR: the first line at once, the ready line, SIGINT
 * stopping everything (DynamoDB Local's JVM included), and an operation recorded in the first run still there in the
 * second. Its own DynamoDB Local (this machine's Java), not the shared one: the folder is what is under test.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const TOKEN = "local-dev-token";

let dataDir: string;
/** Every run still going, stopped whatever the test did. */
const runs = new Set<Run>();
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "start-data-"));
});
afterAll(async () => {
  await Promise.all([...runs].map((run) => run.interrupt()));
  await rm(dataDir, { recursive: true, force: true });
});

interface Run {
  lines: string[];
  url: string;
  dynamodbEndpoint: string;
  demoChat: string;
  /** SIGINT, as Ctrl-C sends; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

async function start(): Promise<Run> {
  const { LINQ_API_V3_API_KEY: _key, ...env } = process.env;
  const child = spawn(process.execPath, ["local/start.ts"], {
    cwd: root,
    env: { ...env, PORT: "0", LINQ_SANDBOX_PORT: "0", LOCAL_BUS_PORT: "0", DYNAMODB_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/demo group chat: \S+\n/.test(output)) resolve();
    });
    void exited.then((code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
  });
  const lines = output.split("\n");
  const find = (pattern: RegExp) => {
    const match = lines.map((line) => pattern.exec(line)).find((found) => found !== null);
    if (match === undefined) throw new Error(`no ${pattern} in:\n${output}`);
    return match[1]!;
  };
  const run: Run = {
    lines,
    url: find(/^linq-chat-ops ready at (\S+)/),
    dynamodbEndpoint: find(/DynamoDB Local at (http:\/\/[^,\s]+)/),
    demoChat: find(/demo group chat: (\S+)/),
    interrupt: () => {
      runs.delete(run);
      child.kill("SIGINT");
      return exited;
    },
  };
  runs.add(run);
  return run;
}

const answers = async (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

describe("npm start with DYNAMODB_DATA_DIR", () => {
  // Two whole starts, each with its own DynamoDB Local JVM: more than a test's usual 30 s on a busy machine.
  it("keeps an operation across a restart, and Ctrl-C stops DynamoDB Local with the rest", async () => {
    const first = await start();
    expect(first.lines[0]).toMatch(/^linq-chat-ops: starting DynamoDB Local/);
    expect(first.lines[1]).toContain(`data in ${dataDir}`);
    const requested = await fetch(`${first.url}/v3/chats/${first.demoChat}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ display_name: "Kept across restarts" }),
    });
    expect(requested.status).toBe(200);
    const { trace_id: traceId } = (await requested.json()) as { trace_id: string };

    expect(await first.interrupt()).toBe(0);
    expect(await answers(first.url)).toBe(false);
    expect(await answers(first.dynamodbEndpoint)).toBe(false);

    // The tables are there already: used as they are.
    const second = await start();
    try {
      const listed = await fetch(`${second.url}/v3/chats/${first.demoChat}/operations`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(listed.status).toBe(200);
      const { data } = (await listed.json()) as { data: { trace_id: string; request: unknown }[] };
      expect(data.map((operation) => operation.trace_id)).toEqual([traceId]);
      expect(data[0]!.request).toEqual({ display_name: "Kept across restarts" });
    } finally {
      expect(await second.interrupt()).toBe(0);
    }
  }, 120_000);
});
