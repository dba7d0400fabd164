/**
 * The local event bus for `npm start`: an EventBridge look-alike that takes PutEvents, routes each event to the
 * in-process subscribers whose patterns match, with Lambda's async retry and dead-letter behaviour, and lists every
 * event put on it like a mail catcher (`GET /events`, `GET /dead-letters`).
 */
import { createHash, randomUUID } from "node:crypto";
import { REQUEST_DELIVERY } from "../../src/definitions/events.ts";
import { Scheduler } from "../scheduler.ts";
import { matchesPattern, patternProblem, type EventPattern } from "./pattern.ts";
import { AwsError, putEvents, type BusEvent } from "./put-events.ts";
import { close, listen } from "../http.ts";
import { createBusServer } from "./server.ts";

export type { BusEvent } from "./put-events.ts";

/** EventBridge's rule and its target, here a function mounted in-process. */
export interface Subscription {
  /** The subscribing function's name, reported with its dead letters. */
  name: string;
  pattern: EventPattern;
  deliver: (event: BusEvent) => Promise<void>;
}

export interface DeadLetter {
  subscription: string;
  /** The last failure's message. */
  reason: string;
  attempts: number;
  /** When it was given up on. */
  time: string;
  event: BusEvent;
}

export interface LocalBusOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** The name (or the end of the ARN) entries may give as EventBusName besides `default`. Default `default`. */
  busName?: string;
  subscriptions: readonly Subscription[];
  /** Waits before each retry, the last repeating; short, so a failure shows in seconds, not Lambda's minutes. */
  retryDelaysMs?: readonly number[];
  /**
   * How many of the latest events to keep for `events()` and `GET /events`; the older are forgotten. Default all: tests
   * and chaos runs judge every event. A long-running `npm start` keeps a window, so its memory stays flat.
   */
  keepEvents?: number;
  log?: (line: string) => void;
}

export interface LocalBus {
  /** Base URL, the `endpoint` for an EventBridgeClient or `--endpoint-url` for the AWS CLI. */
  url: string;
  /** Every event accepted (the latest `keepEvents` of them), oldest first. */
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
  const { busName = "default", subscriptions, keepEvents = Infinity, log = () => {} } = options;
  if (!(keepEvents >= 1)) throw new Error(`keepEvents must be at least 1, not ${keepEvents}`);
  for (const subscription of subscriptions) {
    const problem = patternProblem(subscription.pattern);
    if (problem)
      throw new Error(
        `Subscription ${subscription.name} has an event pattern the local bus cannot route by: ${problem}`,
      );
  }

  const events: BusEvent[] = [];
  const deadLetters: DeadLetter[] = [];
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;

  // Lambda's asynchronous invocation, which is how EventBridge hands an event to a function: the caller never waits, a
  // failed invocation is retried a fixed number of times, then dead-lettered. It counts as pending from when it is
  // queued until it is delivered or dead-lettered; stop cancels waiting retries and drops the outcome of running ones.
  const scheduler = new Scheduler();
  const invoke = (subscription: Subscription, event: BusEvent, attemptNumber = 1, delayMs = 0) =>
    scheduler.after(delayMs, () => scheduler.track(attempt(subscription, event, attemptNumber)));

  async function attempt(subscription: Subscription, event: BusEvent, attemptNumber: number): Promise<void> {
    let failure: string | undefined;
    try {
      // Every invocation deserializes its own payload, so a handler that mutates it cannot affect a sibling or a retry.
      await subscription.deliver(structuredClone(event));
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (scheduler.stopped) return;
    const label = `${event["detail-type"]} ${event.id} -> ${subscription.name}`;
    if (failure === undefined) {
      if (attemptNumber > 1) log(`${label}: delivered on attempt ${attemptNumber}`);
    } else if (attemptNumber <= REQUEST_DELIVERY.maximumRetryAttempts) {
      const delayMs = retryDelaysMs[Math.min(attemptNumber, retryDelaysMs.length) - 1] ?? 0;
      log(`${label}: attempt ${attemptNumber} failed (${failure}), retrying in ${delayMs} ms`);
      invoke(subscription, event, attemptNumber + 1, delayMs);
    } else {
      log(`${label}: attempt ${attemptNumber} failed (${failure}), dead-lettered`);
      deadLetters.push({
        subscription: subscription.name,
        reason: failure,
        attempts: attemptNumber,
        time: new Date().toISOString(),
        event,
      });
    }
  }

  const server = createBusServer({
    operations: {
      "AWSEvents.PutEvents": (input, region) => {
        const { response, accepted } = putEvents(input, { busName, region, account: LOCAL_ACCOUNT, now: new Date() });
        for (const event of accepted) {
          events.push(event);
          if (events.length > keepEvents) events.splice(0, events.length - keepEvents);
          const targets = subscriptions.filter((subscription) => matchesPattern(subscription.pattern, event));
          const names = targets.map((target) => target.name).join(", ") || "no subscriber";
          log(`${event["detail-type"]} ${event.id} from ${event.source} -> ${names}`);
          for (const target of targets) invoke(target, event);
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
    idle: () => scheduler.idle(),
    async stop() {
      scheduler.stop();
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
