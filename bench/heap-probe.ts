/**
 * Preloaded into `npm start` by target 6 (`--expose-gc --import` in NODE_OPTIONS, which Node also applies to worker
 * threads): every BENCH_HEAP_EVERY_MS, each JavaScript thread of the process (the service's, the sandbox's) runs a full
 * garbage collection and appends what its heap still holds to BENCH_HEAP_LOG, one JSON line per sample.
 *
 * The heap live after a full GC is what a leak grows. Resident memory is not: V8 grows its heap lazily under load and
 * keeps the pages, and malloc keeps freed native memory, so RSS climbs for minutes with nothing retained.
 */
import { appendFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { isMainThread, threadId } from "node:worker_threads";

export interface HeapSample {
  thread: string;
  /** Wall clock (ms since the epoch): threads and the bench share it. */
  at: number;
  heapAfterGcBytes: number;
}

const file = process.env.BENCH_HEAP_LOG;
const everyMs = Number(process.env.BENCH_HEAP_EVERY_MS ?? 2_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (file !== undefined && gc !== undefined) {
  const thread = isMainThread ? "main" : `worker ${threadId}`;
  setInterval(() => {
    gc();
    const sample: HeapSample = { thread, at: Date.now(), heapAfterGcBytes: getHeapStatistics().used_heap_size };
    appendFileSync(file, `${JSON.stringify(sample)}\n`);
  }, everyMs).unref();
}
