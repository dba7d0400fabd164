/**
 * The sandbox as the local stack runs it: in a worker thread (local/thread.ts), behind the same `Sandbox` interface as
 * `startSandbox`, so Linq's side of every call and webhook runs beside the service rather than on its event loop.
 */
import { startThread } from "../thread.ts";
import type { NewChat } from "./chats.ts";
import type { Sandbox, SandboxOptions } from "./index.ts";

/** Every option but `log`, which stays here: the worker sends its lines back. */
export type SandboxThreadOptions = Omit<SandboxOptions, "log">;

export async function startSandboxThread(options: SandboxOptions = {}): Promise<Sandbox> {
  const { log = () => {}, ...data } = options;
  const thread = await startThread(new URL("./thread-worker.ts", import.meta.url), data, log);
  const { url, seed } = thread.ready as { url: string; seed: number };
  return {
    url,
    seed,
    async stop() {
      await thread.call("stop");
      await thread.terminate();
    },
    truth: () => thread.callSync("truth") as ReturnType<Sandbox["truth"]>,
    idle: async () => void (await thread.call("idle")),
    seedChat: (chat: NewChat) => thread.callSync("seedChat", chat) as ReturnType<Sandbox["seedChat"]>,
    humanRename: (...change) => thread.callSync("humanRename", ...change) as ReturnType<Sandbox["humanRename"]>,
    humanSetIcon: (...change) => thread.callSync("humanSetIcon", ...change) as ReturnType<Sandbox["humanSetIcon"]>,
    humanAdd: (...change) => thread.callSync("humanAdd", ...change) as ReturnType<Sandbox["humanAdd"]>,
    humanRemove: (...change) => thread.callSync("humanRemove", ...change) as ReturnType<Sandbox["humanRemove"]>,
  };
}
