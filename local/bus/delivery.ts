/**
 * Lambda's asynchronous invocation, which is how EventBridge hands an event to a function: the caller never waits,
 * a failed invocation is retried a fixed number of times, and then the event goes to the dead-letter queue.
 */
import { Scheduler } from "../scheduler.ts";
import type { EventPattern } from "./pattern.ts";
import type { BusEvent } from "./put-events.ts";

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

export interface DeliveryOptions {
  maximumRetryAttempts: number;
  /** Delay before each retry; the last one repeats when there are more retries than delays. */
  retryDelaysMs: readonly number[];
  onDeadLetter: (letter: DeadLetter) => void;
  log: (line: string) => void;
}

export interface Delivery {
  /** Queues one invocation; it starts on a later turn of the event loop, never inside the caller. */
  invoke(subscription: Subscription, event: BusEvent): void;
  /** Resolves once no invocation is running or waiting for a retry. */
  idle(): Promise<void>;
  /** Cancels waiting retries; invocations already running finish, but their outcome is dropped. */
  stop(): void;
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const { maximumRetryAttempts, retryDelaysMs, onDeadLetter, log } = options;
  const scheduler = new Scheduler();
  // An invocation counts as pending from when it is queued until it is delivered or dead-lettered.
  const queue = (subscription: Subscription, event: BusEvent, attemptNumber: number, delayMs: number) =>
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
    } else if (attemptNumber <= maximumRetryAttempts) {
      const delayMs = retryDelaysMs[Math.min(attemptNumber, retryDelaysMs.length) - 1] ?? 0;
      log(`${label}: attempt ${attemptNumber} failed (${failure}), retrying in ${delayMs} ms`);
      queue(subscription, event, attemptNumber + 1, delayMs);
    } else {
      log(`${label}: attempt ${attemptNumber} failed (${failure}), dead-lettered`);
      onDeadLetter({
        subscription: subscription.name,
        reason: failure,
        attempts: attemptNumber,
        time: new Date().toISOString(),
        event,
      });
    }
  }

  return {
    invoke: (subscription, event) => void queue(subscription, event, 1, 0),
    idle: () => scheduler.idle(),
    stop: () => scheduler.stop(),
  };
}
