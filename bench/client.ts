/** The bench as a client: timed requests, chats made through Linq's own `POST /v3/chats`, and quantiles. */
import { randomUUID } from "node:crypto";

export interface Call {
  method: "PUT" | "DELETE" | "GET" | "POST";
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request; its time from sending to the whole answer read, in ms. Throws on an answer that is not 2xx. */
export async function timed(base: string, token: string, call: Call): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(`${base}${call.path}`, {
    method: call.method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...call.headers },
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status >= 300) throw new Error(`${call.method} ${call.path} answered ${response.status}: ${text}`);
  return { ms, body: JSON.parse(text) as unknown };
}

/** Group chats of our line and four people: each can lose one participant and stay a group. */
export const PEOPLE = ["+15550000002", "+15550000003", "+15550000004", "+15550000005"];
const LINE = "+15550000001";

export async function createChats(sandboxUrl: string, count: number, concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(count, concurrency, async () => {
    const { body } = await timed(sandboxUrl, "bench-key", {
      method: "POST",
      path: "/v3/chats",
      body: { from: LINE, to: PEOPLE, message: { parts: [{ type: "text", value: "hello" }] } },
    });
    ids.push((body as { chat: { id: string } }).chat.id);
  });
  return ids;
}

export const rename = (chatId: string): Call => ({
  method: "PUT",
  path: `/v3/chats/${chatId}`,
  body: { display_name: `Bench ${randomUUID().slice(0, 8)}` },
});

export const removal = (chatId: string): Call => ({
  method: "DELETE",
  path: `/v3/chats/${chatId}/participants`,
  body: { handle: PEOPLE[3] },
});

/** Runs `task(i)` for i in 0..count-1, `concurrency` at a time. */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
