/**
 * Target 4: what a call through the service adds over calling Linq directly. The baseline is `npm run sandbox` on its
 * own, with no webhook target, so it pays for nothing of ours; the service is `npm start`, whose sandbox sends the
 * service its webhooks as Linq would, so our figure includes settling them. Calls alternate one by one between the
 * two, from this process, so both see the same machine. Then 16 at a time through `npm start`: its p99 against its p50.
 */
import { createChats, inParallel, quantile, removal, rename, timed, type Call } from "./client.ts";
import type { LocalService } from "./processes.ts";
import { fixed, type Row } from "./table.ts";

const MAX_OVERHEAD_MS = 5;
const MAX_TAIL_RATIO = 5;

export async function overhead(
  service: LocalService,
  linqAlone: { url: string },
  options: { rounds: number; warmup: number; concurrentCalls: number },
): Promise<Row[]> {
  const total = options.rounds + options.warmup;
  const sides = [
    { base: linqAlone.url, token: "bench-key", sandboxUrl: linqAlone.url },
    { base: service.url, token: service.token, sandboxUrl: service.sandboxUrl },
  ];
  const samples = sides.map(() => ({ update: [] as number[], removal: [] as number[] }));
  const chats = await Promise.all(
    sides.map(async (side) => ({
      updates: await createChats(side.sandboxUrl, 16),
      removals: await createChats(side.sandboxUrl, total),
    })),
  );
  for (let i = 0; i < total; i++) {
    for (const [s, side] of sides.entries()) {
      const update = await timed(side.base, side.token, rename(chats[s]!.updates[i % 16]!));
      const removed = await timed(side.base, side.token, removal(chats[s]!.removals[i]!));
      if (i < options.warmup) continue;
      samples[s]!.update.push(update.ms);
      samples[s]!.removal.push(removed.ms);
    }
  }
  const rows: Row[] = (["update", "removal"] as const).map((operation) => {
    const linq = quantile(samples[0]![operation], 0.5);
    const ours = quantile(samples[1]![operation], 0.5);
    return {
      target: 4,
      metric: `API p50, concurrency 1: ${operation === "update" ? "name update" : "removal"}`,
      baseline: `${fixed(linq, 2)} ms (Linq alone)`,
      ours: `${fixed(ours, 2)} ms (+${fixed(ours - linq, 2)} ms)`,
      ratio: ours / linq,
      goal: `+≤ ${MAX_OVERHEAD_MS} ms`,
      pass: ours - linq <= MAX_OVERHEAD_MS,
    };
  });

  // 16 at a time, updates and removals alternating, through `npm start` alone.
  const removals = await createChats(service.sandboxUrl, Math.ceil(options.concurrentCalls / 2));
  const updates = await createChats(service.sandboxUrl, 16);
  const latencies: number[] = [];
  await inParallel(options.concurrentCalls, 16, async (i) => {
    const call: Call = i % 2 === 0 ? rename(updates[i % 16]!) : removal(removals[(i - 1) / 2]!);
    latencies.push((await timed(service.url, service.token, call)).ms);
  });
  const p50 = quantile(latencies, 0.5);
  const p99 = quantile(latencies, 0.99);
  rows.push({
    target: 4,
    metric: `API p99 vs p50, concurrency 16 (${options.concurrentCalls} calls, npm start)`,
    baseline: `p50 ${fixed(p50)} ms`,
    ours: `p99 ${fixed(p99)} ms`,
    ratio: p99 / p50,
    goal: `< ${MAX_TAIL_RATIO}×`,
    pass: p99 / p50 < MAX_TAIL_RATIO,
  });
  return rows;
}
