import { close, listen } from "../http.ts";
import { type Chat, Chats, type NewChat, ownHandle } from "./chats.ts";
import { resolveOptions, type SandboxOptions } from "./config.ts";
import { Faults } from "./faults.ts";
import { Ids } from "./ids.ts";
import { ChatOperations } from "./operations.ts";
import { Scheduler } from "../scheduler.ts";
import { createApiServer } from "./server.ts";
import { LATEST_WEBHOOK_VERSION, Subscriptions } from "./subscriptions.ts";
import { type SandboxTruth, TruthLog } from "./truth.ts";
import { Deliveries, type Destination } from "./webhooks.ts";

export {
  DEFAULT_RETRY_SCHEDULE_MS,
  LOCAL_WEBHOOK_SECRET,
  SandboxConfigError,
  sandboxOptionsFromEnv,
} from "./config.ts";
export type { SandboxOptions } from "./config.ts";
export type { CallRecord, EventRecord, SandboxTruth } from "./truth.ts";
export { legacySignature } from "./webhooks.ts";

/** A running Linq v3 sandbox, and people on their phones (see `ChatOperations`). */
export interface Sandbox extends Pick<ChatOperations, "humanRename" | "humanSetIcon" | "humanAdd" | "humanRemove"> {
  /** Base URL without `/v3`, as the SDK's `baseURL` takes it. */
  readonly url: string;
  /** The seed in use: pass it back as `seed` to replay a run. */
  readonly seed: number;
  /** Closes the server and cancels every pending outcome, hold and delivery. */
  stop(): Promise<void>;
  /** A copy of what happened so far. */
  truth(): SandboxTruth;
  /** Resolves once no outcome, held event or delivery is pending. */
  idle(): Promise<void>;
  /** Creates a chat directly, bypassing the API and its faults. */
  seedChat(chat: NewChat): Chat;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const config = resolveOptions(options);
  const clock = (): Date => new Date();
  const ids = new Ids(config.seed);
  const faults = new Faults(config.seed, config);
  const scheduler = new Scheduler();
  const truth = new TruthLog(config.truthRecords);
  const chats = new Chats(ids, clock, config);
  const subscriptions = new Subscriptions(ids, clock);
  const targets: Destination[] = config.webhookTargets.map(({ url, secret }) => ({
    url,
    secret,
    subscriptionId: undefined,
    webhookVersion: LATEST_WEBHOOK_VERSION,
  }));
  const deliveries = new Deliveries({
    scheduler,
    truth,
    clock,
    log: config.log,
    policy: config,
    destinations: (event) => {
      const chat = chats.find(event.chatId);
      const ownNumber = chat === undefined ? undefined : ownHandle(chat)?.handle;
      return [...subscriptions.destinations(event.eventType, ownNumber), ...targets];
    },
  });
  const operations = new ChatOperations({
    chats,
    ids,
    faults,
    deliveries,
    scheduler,
    truth,
    clock,
    config,
  });
  const server = createApiServer({
    config,
    faults,
    ids,
    truth,
    clock,
    chats: operations,
    subscriptions,
  });

  const url = await listen(server, config.port, config.host);

  return {
    url,
    seed: config.seed,
    async stop() {
      scheduler.stop();
      await close(server);
    },
    truth: () => truth.snapshot(config.seed, chats.all(), subscriptions.list()),
    idle: () => scheduler.idle(),
    seedChat: (chat) => structuredClone(chats.create(chat)),
    humanRename: (...change) => structuredClone(operations.humanRename(...change)),
    humanSetIcon: (...change) => structuredClone(operations.humanSetIcon(...change)),
    humanAdd: (...change) => structuredClone(operations.humanAdd(...change)),
    humanRemove: (...change) => structuredClone(operations.humanRemove(...change)),
  };
}
