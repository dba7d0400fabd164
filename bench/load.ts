/**
 * Target 6: 10,000 mixed requests, 32 at a time, against `npm start` (autocannon), with the resident memory of its
 * node process sampled through the run. Zero errors (connection errors, timeouts, non-2xx); p50 and p99; the memory's
 * trend after a warm-up (the first quarter of the run), as a least-squares slope and as its last sample against its
 * first. The service's own state is in DynamoDB Local (another process); what the node process keeps growing is the
 * local stand-ins' record of what happened (the sandbox's truth, the bus's event list), which the trend includes.
 */
import autocannon from "autocannon";
import { createChats, PEOPLE, rename, timed, type Call } from "./client.ts";
import { residentBytes, type LocalService } from "./processes.ts";
import { fixed, type Row } from "./table.ts";

const SAMPLE_MS = 200;
const WARMUP_SHARE = 0.25;
const MAX_GROWTH = 1.1;
const MiB = 1024 * 1024;

export async function load(service: LocalService, options: { requests: number; connections: number }): Promise<Row[]> {
  const { requests, connections } = options;
  // The mix: 4 in 10 name updates, 1 removal, 3 reads of an operation, 2 lists of a chat's operations.
  const updateChats = await createChats(service.sandboxUrl, 32);
  const removalChats = await createChats(service.sandboxUrl, Math.ceil(requests / 10));
  const known: { chat: string; trace: string }[] = [];
  for (const chat of updateChats) {
    const { body } = await timed(service.url, service.token, rename(chat));
    known.push({ chat, trace: (body as { trace_id: string }).trace_id });
  }
  const calls: Call[] = Array.from({ length: requests }, (_, i) => {
    const chat = updateChats[i % updateChats.length]!;
    const slot = i % 10;
    if (slot < 4) return rename(chat);
    if (slot === 4) {
      const removal = removalChats[Math.floor(i / 10)]!;
      return { method: "DELETE", path: `/v3/chats/${removal}/participants`, body: { handle: PEOPLE[3] } };
    }
    const { chat: readChat, trace } = known[i % known.length]!;
    if (slot < 8) return { method: "GET", path: `/v3/chats/${readChat}/operations/${trace}` };
    return { method: "GET", path: `/v3/chats/${chat}/operations?limit=20` };
  });

  const samples: { at: number; bytes: number }[] = [];
  const started = performance.now();
  const sampler = setInterval(() => {
    void residentBytes(service.pid).then((bytes) => samples.push({ at: performance.now() - started, bytes }));
  }, SAMPLE_MS);
  let next = 0;
  const headers = { authorization: `Bearer ${service.token}`, "content-type": "application/json" };
  const instance = autocannon({
    url: service.url,
    connections,
    amount: requests,
    timeout: 30,
    headers,
    requests: [
      {
        setupRequest: (request) => {
          const call = calls[next++ % calls.length]!;
          // A fresh request each time: autocannon keeps the last one's headers (its Content-Length) otherwise.
          const { body: _body, ...rest } = request;
          return {
            ...rest,
            method: call.method,
            path: call.path,
            headers: { ...headers },
            ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
          };
        },
      },
    ],
  });
  const result = await instance;
  clearInterval(sampler);

  const errors = result.errors + result.timeouts + result.non2xx;
  const after = samples.filter((sample) => sample.at >= WARMUP_SHARE * samples.at(-1)!.at);
  const first = after[0]!.bytes;
  const last = after.at(-1)!.bytes;
  const slope = leastSquaresSlope(after.map((s) => [s.at / 60_000, s.bytes / MiB]));
  return [
    {
      target: 6,
      metric: `load: ${requests} mixed requests, ${connections} at a time (npm start)`,
      baseline: "0 errors",
      ours:
        `${errors} errors, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
        `${fixed(result.requests.average, 0)} req/s`,
      ratio: result.latency.p99 / Math.max(1, result.latency.p50),
      goal: "0 errors",
      pass: errors === 0 && result.requests.total >= requests,
    },
    {
      target: 6,
      metric: `load: node RSS after warm-up (${after.length} samples)`,
      baseline: `${fixed(first / MiB, 0)} MiB`,
      ours: `${fixed(last / MiB, 0)} MiB, trend ${slope >= 0 ? "+" : ""}${fixed(slope)} MiB/min`,
      ratio: last / first,
      goal: `≤ ${MAX_GROWTH}×`,
      pass: last / first <= MAX_GROWTH,
    },
  ];
}

function leastSquaresSlope(points: [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}
