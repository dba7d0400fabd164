/**
 * `npm start` on a machine that cannot run it: each reason told in one sentence, before any JVM starts. No Java is
 * needed here: the PATH given to `node local/start.ts` has node and, where a test wants one, a fake `java` that writes
 * down every time it is run.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

let bin: string;
let javaCalls: string;
const servers: Server[] = [];

beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), "start-test-"));
  javaCalls = join(bin, "java-calls");
  await symlink(process.execPath, join(bin, "node"));
});
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await rm(bin, { recursive: true, force: true });
});

/** A `java` on the PATH that prints `versionLine` as `java -version` does (on stderr) and writes down its arguments. */
async function fakeJava(versionLine: string, exitCode = 0) {
  const script = `#!/bin/sh\necho "$*" >> '${javaCalls}'\necho '${versionLine}' >&2\nexit ${exitCode}\n`;
  await writeFile(join(bin, "java"), script, { mode: 0o755 });
}

async function javaRuns(): Promise<string[]> {
  const calls = await readFile(javaCalls, "utf8").catch(() => "");
  return calls.split("\n").filter(Boolean);
}

/** A port something else listens on, as another program would hold 3000. */
async function occupiedPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** `node local/start.ts` with only this PATH and these variables; free ports unless told otherwise. */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["local/start.ts"], {
    cwd: root,
    env: { PATH: bin, PORT: "0", LINQ_SANDBOX_PORT: "0", LOCAL_BUS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  // It must give up by itself, long before a JVM could have started; if it does not, it is stopped and the test fails.
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, output };
}

function expectOneSentence(output: string) {
  expect(output.trim().split("\n"), output).toHaveLength(1);
  expect(output, "no stack trace").not.toMatch(/^\s+at /m);
}

const javaHowTo =
  /install it \(Debian\/Ubuntu: sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17, .*\) and run npm start again\.$/;

describe("npm start without a Java it can use", () => {
  it("says in one sentence that DynamoDB Local needs Java 17 and how to install it, when there is no java", async () => {
    const { code, output } = await start({});

    expect(code).toBe(1);
    expectOneSentence(output);
    expect(output.trim()).toMatch(
      /^linq-chat-ops: DynamoDB Local needs Java 17 or newer and there is no java on PATH: /,
    );
    expect(output.trim()).toMatch(javaHowTo);
  });

  it.each([
    ['openjdk version "11.0.22" 2024-01-16', 11],
    ['java version "1.8.0_392"', 8],
  ])("names the version when the java on PATH is too old (%s)", async (versionLine, major) => {
    await fakeJava(versionLine);

    const { code, output } = await start({});

    expect(code).toBe(1);
    expectOneSentence(output);
    expect(output).toContain(`DynamoDB Local needs Java 17 or newer and the java on PATH is Java ${major}: `);
    expect(output.trim()).toMatch(javaHowTo);
    // Asked its version, never run as DynamoDB Local.
    expect(await javaRuns()).toEqual(["-version"]);
  });

  it("treats a java that cannot run (macOS's stub with no JDK behind it) as none", async () => {
    await fakeJava("Unable to locate a Java Runtime.", 1);

    const { code, output } = await start({});

    expect(code).toBe(1);
    expectOneSentence(output);
    expect(output).toContain("there is no java on PATH");
  });
});

describe("npm start with a port it needs already taken", () => {
  it.each(["PORT", "LINQ_SANDBOX_PORT", "LOCAL_BUS_PORT"])(
    "names the port and %s, before Java is even asked its version",
    async (variable) => {
      await fakeJava('openjdk version "17.0.15" 2025-04-15');
      const port = await occupiedPort();

      const { code, output } = await start({ [variable]: String(port) });

      expect(code).toBe(1);
      expectOneSentence(output);
      expect(output.trim()).toBe(
        `linq-chat-ops: port ${port} is already in use; set ${variable} to another port (0 picks a free one).`,
      );
      expect(await javaRuns()).toEqual([]);
    },
  );

  it("does not check the sandbox's port when the real Linq is used instead of the sandbox", async () => {
    await fakeJava('openjdk version "11.0.22" 2024-01-16');
    const port = await occupiedPort();

    const { output } = await start({ LINQ_SANDBOX_PORT: String(port), LINQ_API_V3_API_KEY: "a-real-key" });

    // Past the ports, on to Java (which this fake is too old for).
    expect(output).toContain("the java on PATH is Java 11");
  });

  it("refuses two variables set to one port, and a port that is not a number, by name", async () => {
    const twice = await start({ PORT: "4711", LOCAL_BUS_PORT: "4711" });
    expect(twice.code).toBe(1);
    expect(twice.output.trim()).toBe(
      "linq-chat-ops: PORT and LOCAL_BUS_PORT are both 4711; set one of them to another port.",
    );

    const notANumber = await start({ PORT: "http" });
    expect(notANumber.code).toBe(1);
    expectOneSentence(notANumber.output);
    expect(notANumber.output).toContain("PORT must be a port number");
    expect(await javaRuns()).toEqual([]);
  });
});
