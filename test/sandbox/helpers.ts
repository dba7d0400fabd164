import { createServer, type IncomingHttpHeaders } from "node:http";
import LinqAPIV3 from "@linqapp/sdk";
import { onTestFinished } from "vitest";
import { close, listen } from "../../local/http.ts";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../local/sandbox/index.ts";

export const ME = "+12025550100";
export const ALICE = "+12025550101";
export const BOB = "+12025550102";
export const CAROL = "+12025550103";
export const DAN = "dan@example.com";

/** A sandbox for one test, stopped when the test ends; tiny delays unless the test says otherwise. */
export async function sandboxForTest(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({ seed: 1, delayMs: 5, retryScheduleMs: [20, 20, 20], ...options });
  onTestFinished(() => sandbox.stop());
  return sandbox;
}

export function linqClient(sandbox: Sandbox, apiKey = "test-key"): LinqAPIV3 {
  return new LinqAPIV3({ apiKey, baseURL: sandbox.url, maxRetries: 0 });
}

export interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly status: number;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** Bodies of the requests answered 2xx, parsed. */
  events(): Array<{ event_type: string; event_id: string; data: Record<string, unknown> } & Record<string, unknown>>;
}

/**
 * A webhook endpoint for one test. `respond` picks the status from the request and how many times its webhook-id
 * came before (0 on the first).
 */
export async function receiverForTest(
  respond: (headers: Record<string, string>, previousAttempts: number) => number = () => 200,
): Promise<Receiver> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers = flatten(request.headers);
      const id = headers["webhook-id"] ?? "";
      const previous = attempts.get(id) ?? 0;
      attempts.set(id, previous + 1);
      const status = respond(headers, previous);
      received.push({ headers, body: Buffer.concat(chunks).toString("utf8"), status });
      response.writeHead(status).end();
    });
  });
  const url = await listen(server, 0);
  onTestFinished(() => close(server));
  return {
    url: `${url}/webhooks/linq`,
    received,
    events: () => received.filter((r) => r.status < 300).map((r) => JSON.parse(r.body)),
  };
}

function flatten(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
  );
}
