/**
 * Lambda's asynchronous invocation, which is how EventBridge hands an event to a function: the caller never waits,
 * a failed invocation is retried a fixed number of times, and then the event goes to the dead-letter queue.
 */
import type { BusEvent } from "./put-events.ts";

/** Where an invocation goes: EventBridge's rule target, here a function mounted in-process. */
export interface Target {
  /** The subscribing function's name, reported with its dead letters. */
  name: string;
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
  invoke(subscription: Target, event: BusEvent): void;
  /** Resolves once no invocation is running or waiting for a retry. */
  idle(): Promise<void>;
  /** Cancels waiting retries; invocations already running finish, but their outcome is dropped. */
  stop(): void;
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const { maximumRetryAttempts, retryDelaysMs, onDeadLetter, log } = options;
  const timers = new Set<NodeJS.Timeout>();
  let outstanding = 0;
  let waiters: (() => void)[] = [];
  let stopped = false;

  function later(run: () => Promise<void>, delayMs: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void run();
    }, delayMs);
    timers.add(timer);
  }

  function settle(): void {
    outstanding -= 1;
    if (outstanding === 0) wake();
  }

  function wake(): void {
    const resolved = waiters;
    waiters = [];
    for (const resolve of resolved) resolve();
  }

  async function attempt(subscription: Target, event: BusEvent, attemptNumber: number): Promise<void> {
    let failure: string | undefined;
    try {
      // Every invocation deserializes its own payload, so a handler that mutates it cannot affect a sibling or a retry.
      await subscription.deliver(structuredClone(event));
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (stopped) return;
    const label = `${event["detail-type"]} ${event.id} -> ${subscription.name}`;
    if (failure === undefined) {
      if (attemptNumber > 1) log(`${label}: delivered on attempt ${attemptNumber}`);
      settle();
    } else if (attemptNumber <= maximumRetryAttempts) {
      const delayMs = retryDelaysMs[Math.min(attemptNumber, retryDelaysMs.length) - 1] ?? 0;
      log(`${label}: attempt ${attemptNumber} failed (${failure}), retrying in ${delayMs} ms`);
      later(() => attempt(subscription, event, attemptNumber + 1), delayMs);
    } else {
      log(`${label}: attempt ${attemptNumber} failed (${failure}), dead-lettered`);
      onDeadLetter({
        subscription: subscription.name,
        reason: failure,
        attempts: attemptNumber,
        time: new Date().toISOString(),
        event,
      });
      settle();
    }
  }

  return {
    invoke(subscription, event) {
      if (stopped) return;
      outstanding += 1;
      later(() => attempt(subscription, event, 1), 0);
    },
    idle() {
      return outstanding === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      outstanding = 0;
      wake();
    },
  };
}
