/**
 * What the HTTP benches run against, each in a process of its own as a user runs it, with the bench only a client:
 * `npm start` (node local/start.ts: DynamoDB Local, the service, the sandbox in its worker thread, the bus) and
 * `npm run sandbox` (node local/sandbox/main.ts: Linq alone, with no webhook target). Each is told apart by what it
 * prints when ready.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const READY_TIMEOUT_MS = 60_000;
/**
 * The environment as it was when the bench began: the in-process stack of targets 1-2 sets the handlers' variables
 * (LINQ_API_V3_API_KEY among them, which would make `npm start` call the real Linq) on this process.
 */
const INHERITED = { ...process.env };

export interface Started {
  pid: number;
  /** Every line printed so far. */
  lines: string[];
  stop(): Promise<void>;
}

export interface LocalService extends Started {
  url: string;
  token: string;
  sandboxUrl: string;
  dynamodbEndpoint: string;
}

/** Every port free-picked; `env` adds the sandbox's faults or delays. The handlers' request log is off. */
export async function startService(env: Record<string, string> = {}): Promise<LocalService> {
  const started = await run("local/start.ts", { PORT: "0", LINQ_SANDBOX_PORT: "0", LOCAL_BUS_PORT: "0", ...env }, (l) =>
    l.some((line) => line.startsWith("  demo group chat:")),
  );
  const find = (pattern: RegExp) => {
    const match = started.lines.map((line) => pattern.exec(line)).find((m) => m !== null);
    if (!match) throw new Error(`npm start printed nothing like ${pattern}:\n${started.lines.join("\n")}`);
    return match[1]!;
  };
  return {
    ...started,
    url: find(/^linq-chat-ops ready at (\S+)/),
    token: find(/service token:\s+(\S+)/),
    sandboxUrl: find(/Linq sandbox:\s+(\S+)/),
    dynamodbEndpoint: find(/DynamoDB Local at ([^,\s]+)/),
  };
}

export async function startSandboxAlone(env: Record<string, string> = {}): Promise<Started & { url: string }> {
  const started = await run("local/sandbox/main.ts", { LINQ_SANDBOX_PORT: "0", ...env }, (l) =>
    l.some((line) => line.startsWith("linq sandbox ready at")),
  );
  const url = /ready at (\S+)/.exec(started.lines.find((line) => line.startsWith("linq sandbox ready at"))!)![1]!;
  return { ...started, url };
}

/** Resident memory of a process, from the kernel (Linux), in bytes. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kib) * 1024;
}

async function run(script: string, env: Record<string, string>, ready: (lines: string[]) => boolean): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...INHERITED, LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffered = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} not ready in time:\n${lines.join("\n")}`)),
      READY_TIMEOUT_MS,
    );
    const take = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts);
      if (ready(lines)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${lines.join("\n")}`));
    });
  });
  return {
    pid: child.pid!,
    lines,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}
