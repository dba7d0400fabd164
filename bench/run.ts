/**
 * `npm run bench`: what this service adds over calling Linq directly, as ratios against a baseline measured in the same
 * run on the same machine (absolute times on a shared 2-core machine mean little; ratios travel).
 *
 * - baseline: `PUT /v3/chats/{id}` straight to the Linq sandbox (one HTTP round trip, Linq's own work);
 * - update:   the same request through this service (auth, validation, the DynamoDB write, the Linq call, the answer);
 * - read:     `GET /v3/chats/{id}/operations/{traceId}` (auth and one consistent DynamoDB read).
 * Memory: the process's heap after the run, against the heap once the stack started.
 */
import { startLocalStack } from "../local/stack.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 30;

// Read by the handlers' logger when they load, inside startLocalStack.
process.env.LOG_LEVEL ??= "silent";
const stack = await startLocalStack({
  port: 0,
  sandboxPort: 0,
  busPort: 0,
  reconcileEveryMs: 0,
  sandbox: { seed: 7, delayMs: 10, retryScheduleMs: [100] },
});

const chats = Array.from(
  { length: 16 },
  () => stack.sandbox!.seedChat({ handles: ["+15550000001", "+15550000002", "+15550000003", "+15550000004"] }).id,
);
const auth = { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" };

async function time(run: (i: number) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

async function put(base: string, i: number): Promise<Record<string, string>> {
  const response = await fetch(`${base}/v3/chats/${chats[i % chats.length]}`, {
    method: "PUT",
    headers: auth,
    body: JSON.stringify({ display_name: `Bench ${i}` }),
  });
  if (response.status !== 200) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, string>;
}

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;

const baseline = await time(async (i) => void (await put(stack.sandbox!.url, i)));
const traces: { chat: string; trace: string }[] = [];
const update = await time(async (i) => {
  const answer = await put(stack.url, i);
  traces.push({ chat: answer.chat_id!, trace: answer.trace_id! });
});
const read = await time(async (i) => {
  const { chat, trace } = traces[i % traces.length]!;
  const response = await fetch(`${stack.url}/v3/chats/${chat}/operations/${trace}`, { headers: auth });
  if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
  await response.arrayBuffer();
});

await stack.sandbox!.idle();
global.gc?.();
const heapAfter = process.memoryUsage().heapUsed;
await stack.stop();

const quantile = (samples: number[], q: number) =>
  samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
const row = (name: string, samples: number[]) => ({
  name,
  p50_ms: +quantile(samples, 0.5).toFixed(2),
  p95_ms: +quantile(samples, 0.95).toFixed(2),
  p50_ratio: +(quantile(samples, 0.5) / quantile(baseline, 0.5)).toFixed(2),
});
console.table([
  row("baseline: Linq sandbox direct", baseline),
  row("update through the service", update),
  row("read an operation", read),
]);
console.log(
  JSON.stringify({
    rounds: ROUNDS,
    update_over_baseline_p50: row("", update).p50_ratio,
    read_over_baseline_p50: row("", read).p50_ratio,
    heap_growth_ratio: +(heapAfter / heapBefore).toFixed(2),
  }),
);
