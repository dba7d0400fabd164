/**
 * The local event bus for `npm start`: an EventBridge look-alike that takes PutEvents, routes each event to the
 * in-process subscribers whose patterns match, with Lambda's async retry and dead-letter behaviour, and lists every
 * event put on it like a mail catcher (`GET /events`, `GET /dead-letters`).
 */
import { createHash, randomUUID } from "node:crypto";
import { REQUEST_DELIVERY } from "../../src/definitions/events.ts";
import { createDelivery, type DeadLetter, type Subscription } from "./delivery.ts";
import { matchesPattern, patternProblem } from "./pattern.ts";
import { AwsError, putEvents, type BusEvent } from "./put-events.ts";
import { close, listen } from "../http.ts";
import { createBusServer } from "./server.ts";

export type { DeadLetter, Subscription } from "./delivery.ts";
export type { BusEvent } from "./put-events.ts";

export interface LocalBusOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** The name (or the end of the ARN) entries may give as EventBusName besides `default`. Default `default`. */
  busName?: string;
  subscriptions: readonly Subscription[];
  /** Waits before each retry; short by default so a local failure shows up in seconds, not Lambda's minutes. */
  retryDelaysMs?: readonly number[];
  log?: (line: string) => void;
}

export interface LocalBus {
  /** Base URL, the `endpoint` for an EventBridgeClient or `--endpoint-url` for the AWS CLI. */
  url: string;
  /** Every event accepted, oldest first. */
  events(): BusEvent[];
  /** Deliveries that still failed after every retry, oldest first. */
  deadLetters(): DeadLetter[];
  /** Resolves when no delivery is running or waiting for a retry. */
  idle(): Promise<void>;
  /** Closes the server and cancels pending retries. */
  stop(): Promise<void>;
}

const DEFAULT_RETRY_DELAYS_MS = [200, 1000] as const;
/** EventBridge's placeholder account for events that never saw AWS. */
const LOCAL_ACCOUNT = "000000000000";

export async function startLocalBus(options: LocalBusOptions): Promise<LocalBus> {
  const { busName = "default", subscriptions, log = () => {} } = options;
  for (const subscription of subscriptions) {
    const problem = patternProblem(subscription.pattern);
    if (problem)
      throw new Error(
        `Subscription ${subscription.name} has an event pattern the local bus cannot route by: ${problem}`,
      );
  }

  const events: BusEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  const delivery = createDelivery({
    maximumRetryAttempts: REQUEST_DELIVERY.maximumRetryAttempts,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    onDeadLetter: (letter) => deadLetters.push(letter),
    log,
  });

  const server = createBusServer({
    operations: {
      "AWSEvents.PutEvents": (input, region) => {
        const { response, accepted } = putEvents(input, { busName, region, account: LOCAL_ACCOUNT, now: new Date() });
        for (const event of accepted) {
          events.push(event);
          const targets = subscriptions.filter((subscription) => matchesPattern(subscription.pattern, event));
          const names = targets.map((target) => target.name).join(", ") || "no subscriber";
          log(`${event["detail-type"]} ${event.id} from ${event.source} -> ${names}`);
          for (const target of targets) delivery.invoke(target, event);
        }
        return response;
      },
      // The dead-letter queue's stand-in: a function that rejects a malformed request sends it to SQS itself (no
      // retry can help it), so locally SendMessage lands in the same dead letters as exhausted deliveries.
      "AmazonSQS.SendMessage": (input) => {
        const message = sqsMessage(input);
        deadLetters.push({
          subscription: message.queue,
          reason: message.reason,
          attempts: 1,
          time: new Date().toISOString(),
          event: message.event as BusEvent,
        });
        log(`dead letter from ${message.queue}: ${message.reason}`);
        return { MessageId: randomUUID(), MD5OfMessageBody: createHash("md5").update(message.body).digest("hex") };
      },
    },
    views: {
      "/events": () => events,
      "/dead-letters": () => deadLetters,
    },
  });
  const url = await listen(server, options.port ?? 0);

  return {
    url,
    events: () => structuredClone(events),
    deadLetters: () => structuredClone(deadLetters),
    idle: () => delivery.idle(),
    async stop() {
      delivery.stop();
      await close(server);
    },
  };
}

/** SendMessage's input, as the rejecting function writes it: `{reason, event}` in the body. */
function sqsMessage(input: unknown): { queue: string; body: string; reason: string; event: unknown } {
  const { QueueUrl, MessageBody } = (input ?? {}) as { QueueUrl?: unknown; MessageBody?: unknown };
  if (typeof QueueUrl !== "string" || typeof MessageBody !== "string") {
    throw new AwsError("InvalidParameterValue", "QueueUrl and MessageBody are required.");
  }
  let parsed: { reason?: unknown; event?: unknown } = {};
  try {
    parsed = JSON.parse(MessageBody) as typeof parsed;
  } catch {
    parsed = { event: MessageBody };
  }
  return {
    queue: QueueUrl.split("/").pop() ?? QueueUrl,
    body: MessageBody,
    reason: typeof parsed.reason === "string" ? parsed.reason : "rejected",
    event: parsed.event ?? null,
  };
}
