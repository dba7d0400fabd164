/**
 * Target 6: 10,000 mixed requests, 32 at a time, against `npm start` (autocannon). Zero errors (connection errors,
 * timeouts, non-2xx); p50 and p99; and the memory of its node process after a warm-up (the first quarter of the run).
 *
 * Memory is judged by the heap each JavaScript thread still holds after a full GC (bench/heap-probe.ts, preloaded into
 * `npm start`), summed over the threads: that is what a leak grows. The trend is a least-squares line per thread over
 * the samples after warm-up, and the target its end against its start. Resident memory is printed beside it with its
 * own trend but not judged: V8 enlarges its heap lazily under load and keeps the pages, and malloc keeps what native
 * code freed, so RSS climbs for minutes while nothing is retained. The probe's full GC every 2 s per thread costs the
 * service a few milliseconds each time, which the latency figures include.
 *
 * What the process keeps by design is bounded in `npm start`: the bus's event list (LOCAL_BUS_EVENTS) and the sandbox's
 * truth (SANDBOX_TRUTH_RECORDS). The sandbox's chats are Linq's world, not a log: the run creates a chat per removal, so
 * they grow with the run, by a few hundred bytes each.
 */
import autocannon from "autocannon";
import { createChats, PEOPLE, rename, timed, type Call } from "./client.ts";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { HeapSample } from "./heap-probe.ts";
import { residentBytes, type LocalService } from "./processes.ts";
import { fixed, type Row } from "./table.ts";

/** How often the bench reads the process's resident memory. */
const RSS_SAMPLE_MS = 200;
const WARMUP_SHARE = 0.25;
const MAX_GROWTH = 1.1;
const MiB = 1024 * 1024;

export interface HeapProbe {
  /** What `npm start` needs in its environment to load the probe. */
  env: Record<string, string>;
  samples(): Promise<HeapSample[]>;
  remove(): Promise<void>;
}

/** A heap probe writing to a file of its own, for one `npm start`. */
export async function heapProbe(): Promise<HeapProbe> {
  const folder = await mkdtemp(path.join(tmpdir(), "bench-heap-"));
  const file = path.join(folder, "samples.jsonl");
  const probe = new URL("./heap-probe.ts", import.meta.url).href;
  return {
    env: {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc --import ${JSON.stringify(probe)}`.trim(),
      BENCH_HEAP_LOG: file,
    },
    async samples() {
      const text = await readFile(file, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as HeapSample);
    },
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}

export async function load(
  service: LocalService,
  probe: HeapProbe,
  options: { requests: number; connections: number },
): Promise<Row[]> {
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

  const resident: { at: number; bytes: number }[] = [];
  const started = Date.now();
  const sampler = setInterval(() => {
    void residentBytes(service.pid).then((bytes) => resident.push({ at: Date.now(), bytes }));
  }, RSS_SAMPLE_MS);
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

  const ended = Date.now();

  const errors = result.errors + result.timeouts + result.non2xx;
  const warm = started + WARMUP_SHARE * (ended - started);
  const heap = (await probe.samples()).filter((sample) => sample.at >= warm && sample.at <= ended);
  const threads = [...new Set(heap.map((sample) => sample.thread))];
  if (threads.length === 0) throw new Error("the heap probe wrote no samples: did npm start load bench/heap-probe.ts?");
  const lines = threads.map((thread) => {
    const line = trend(heap.filter((s) => s.thread === thread).map((s) => [s.at, s.heapAfterGcBytes]));
    return { thread, from: line.at(warm), to: line.at(ended), slope: line.slope };
  });
  const heapFrom = lines.reduce((sum, line) => sum + line.from, 0);
  const heapTo = lines.reduce((sum, line) => sum + line.to, 0);
  const heapSlope = lines.reduce((sum, line) => sum + line.slope, 0);
  const rss = trend(resident.filter((s) => s.at >= warm).map((s) => [s.at, s.bytes]));
  const mib = (bytes: number) => `${fixed(bytes / MiB)} MiB`;
  const perMinute = (bytesPerMs: number) =>
    `${bytesPerMs >= 0 ? "+" : ""}${fixed((bytesPerMs * 60_000) / MiB)} MiB/min`;
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
      metric: `load: node heap after full GC, after warm-up (${heap.length} samples)`,
      baseline: mib(heapFrom),
      ours:
        `${mib(heapTo)}, trend ${perMinute(heapSlope)} (` +
        lines.map((line) => `${line.thread} ${fixed(line.from / MiB)}→${fixed(line.to / MiB)}`).join(", ") +
        `); RSS ${mib(rss.at(warm))}→${mib(rss.at(ended))}, ${perMinute(rss.slope)}, not judged`,
      ratio: heapTo / heapFrom,
      goal: `≤ ${MAX_GROWTH}×`,
      pass: heapTo / heapFrom <= MAX_GROWTH,
    },
  ];
}

/** The least-squares line through `points` ([x, y]): its slope and its value at any x. */
function trend(points: [number, number][]): { slope: number; at(x: number): number } {
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, at: (x) => my + slope * (x - mx) };
}
