/**
 * The whole local stack for end-to-end tests: handlers behind the HTTP adapter, the sandbox, the bus, and tables of
 * their own in the shared DynamoDB Local. One per test file: the handlers are module singletons configured from the
 * environment, as in Lambda, and vitest gives each file its own modules.
 */
import { randomUUID } from "node:crypto";
import LinqAPIV3 from "@linqapp/sdk";
import { inject } from "vitest";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../local/stack.ts";

export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    sandboxPort: 0,
    busPort: 0,
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    tablePrefix: `e${randomUUID().slice(0, 8)}-`,
    reconcileEveryMs: 0,
    busRetryDelaysMs: [50, 100],
    ...options,
    sandbox: { seed: 42, delayMs: 50, retryScheduleMs: [50, 100, 200], ...options.sandbox },
  });
}

/** The official Linq client, pointed at this service as a user would: base URL and service token, no retries. */
export function linqClientFor(stack: LocalStack, token = stack.apiToken): LinqAPIV3 {
  return new LinqAPIV3({ apiKey: token, baseURL: stack.url, maxRetries: 0 });
}

/** Polls until `check` returns a value, for outcomes that arrive asynchronously. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A JSON body as the service answers it: an operation record, a page, an answer or an error envelope. */
export type ServiceBody = Record<string, unknown> & { status?: string; results?: Record<string, { status: string }> };

/** Calls the service as a client with the service token would, and reads its JSON answer. */
export async function callService(
  stack: LocalStack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: ServiceBody }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as ServiceBody };
}
