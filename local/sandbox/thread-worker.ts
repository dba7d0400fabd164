/** The worker side of `startSandboxThread`: one sandbox, its methods served to the parent thread. */
import { serveThread } from "../thread.ts";
import type { NewChat } from "./chats.ts";
import { startSandbox } from "./index.ts";
import type { SandboxThreadOptions } from "./thread.ts";

await serveThread<SandboxThreadOptions>(async (options, log) => {
  const sandbox = await startSandbox({ ...options, log });
  return {
    describe: () => ({ url: sandbox.url, seed: sandbox.seed }),
    stop: () => sandbox.stop(),
    truth: () => sandbox.truth(),
    idle: () => sandbox.idle(),
    seedChat: (chat: NewChat) => sandbox.seedChat(chat),
    humanRename: (...change: Parameters<typeof sandbox.humanRename>) => sandbox.humanRename(...change),
    humanSetIcon: (...change: Parameters<typeof sandbox.humanSetIcon>) => sandbox.humanSetIcon(...change),
    humanAdd: (...change: Parameters<typeof sandbox.humanAdd>) => sandbox.humanAdd(...change),
    humanRemove: (...change: Parameters<typeof sandbox.humanRemove>) => sandbox.humanRemove(...change),
  };
});
