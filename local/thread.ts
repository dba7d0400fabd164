/**
 * A local stand-in for a service outside ours (the Linq sandbox) runs in a worker thread, so its work never waits on
 * the service's event loop nor slows it, as on two machines; yet tests keep calling it like an object in the same
 * process. Synchronous methods (`truth()`, `seedChat()`, a person's change) block the caller until the worker answers,
 * through a shared flag (`Atomics.wait`) and `receiveMessageOnPort`; asynchronous ones (`idle()`, `stop()`) and the
 * worker's log lines go over the worker's own port. Values cross by structured clone, as they did by `structuredClone`.
 */
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  parentPort,
  workerData,
  type MessagePort,
} from "node:worker_threads";

/** A synchronous call that takes longer than this is a hung worker, not a slow one. */
const SYNC_TIMEOUT_MS = 30_000;

type Api = Record<string, (...args: never[]) => unknown>;

interface SyncRequest {
  method: string;
  args: unknown[];
  done: Int32Array;
}
type Reply = { ok: true; value: unknown } | { ok: false; error: { name: string; message: string; props: object } };
type WorkerMessage =
  | { kind: "ready"; value: unknown }
  | { kind: "failed"; error: Reply & { ok: false } }
  | { kind: "log"; line: string }
  | { kind: "reply"; id: number; reply: Reply };

export interface ThreadHandle {
  /** What the worker's `start` answered. */
  readonly ready: unknown;
  callSync(method: string, ...args: unknown[]): unknown;
  call(method: string, ...args: unknown[]): Promise<unknown>;
  /** Stops the worker thread (after its `stop`, if the caller wants one). */
  terminate(): Promise<void>;
}

/** Starts `entry` (a module that calls `serveThread`) with `data`, and waits for its `start` to answer. */
export async function startThread(entry: URL, data: unknown, log: (line: string) => void): Promise<ThreadHandle> {
  const { port1: syncPort, port2: workerSyncPort } = new MessageChannel();
  const worker = new Worker(entry, {
    workerData: { data, syncPort: workerSyncPort },
    transferList: [workerSyncPort],
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>();
  let nextId = 0;
  let exited: Error | undefined;
  const ready = new Promise<unknown>((resolve, reject) => {
    worker.on("message", (message: WorkerMessage) => {
      if (message.kind === "log") log(message.line);
      else if (message.kind === "ready") resolve(message.value);
      else if (message.kind === "failed") reject(revive(message.error));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.reply.ok) waiter?.resolve(message.reply.value);
        else waiter?.reject(revive(message.reply));
      }
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      exited = new Error(`the worker thread ${entry.pathname} exited (${code})`);
      reject(exited);
      for (const waiter of pending.values()) waiter.reject(exited);
      pending.clear();
    });
  });
  const value = await ready;
  return {
    ready: value,
    callSync(method, ...args) {
      if (exited) throw exited;
      const done = new Int32Array(new SharedArrayBuffer(4));
      syncPort.postMessage({ method, args, done } satisfies SyncRequest);
      if (Atomics.wait(done, 0, 0, SYNC_TIMEOUT_MS) === "timed-out") throw new Error(`${method}: no answer in time`);
      const reply = receiveMessageOnPort(syncPort)?.message as Reply | undefined;
      if (reply === undefined) throw new Error(`${method}: the worker answered nothing`);
      if (!reply.ok) throw revive(reply);
      return reply.value;
    },
    call(method, ...args) {
      if (exited) return Promise.reject(exited);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, method, args });
      });
    },
    async terminate() {
      syncPort.close();
      await worker.terminate();
    },
  };
}

/**
 * In the worker: runs `start(data, log)` and serves the API it returns, every method callable both ways. Logs go to
 * the parent's `log`.
 */
export async function serveThread<T>(start: (data: T, log: (line: string) => void) => Promise<Api>): Promise<void> {
  const port = parentPort!;
  const { data, syncPort } = workerData as { data: T; syncPort: MessagePort };
  let api: Api;
  try {
    api = await start(data, (line) => port.postMessage({ kind: "log", line } satisfies WorkerMessage));
  } catch (error) {
    port.postMessage({ kind: "failed", error: failure(error) } satisfies WorkerMessage);
    return;
  }
  const run = (method: string, args: unknown[]) => {
    const fn = api[method];
    if (typeof fn !== "function") throw new Error(`no method ${method}`);
    return (fn as (...a: unknown[]) => unknown)(...args);
  };
  syncPort.on("message", ({ method, args, done }: SyncRequest) => {
    let reply: Reply;
    try {
      reply = { ok: true, value: run(method, args) };
    } catch (error) {
      reply = failure(error);
    }
    syncPort.postMessage(reply);
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  });
  port.on("message", ({ id, method, args }: { id: number; method: string; args: unknown[] }) => {
    void (async () => {
      let reply: Reply;
      try {
        reply = { ok: true, value: await run(method, args) };
      } catch (error) {
        reply = failure(error);
      }
      port.postMessage({ kind: "reply", id, reply } satisfies WorkerMessage);
    })();
  });
  port.postMessage({ kind: "ready", value: api.describe?.() } satisfies WorkerMessage);
}

function failure(error: unknown): Reply & { ok: false } {
  const { name = "Error", message = String(error) } = (error ?? {}) as Partial<Error>;
  return { ok: false, error: { name, message, props: { ...(error as object) } } };
}

/** The error as the caller sees it: same message and name, with the error's own fields (a LinqError's status, code). */
function revive(reply: Reply & { ok: false }): Error {
  return Object.assign(new Error(reply.error.message), reply.error.props, { name: reply.error.name });
}
