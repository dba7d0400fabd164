/**
 * Every port faked and wired once: `world` satisfies OperationsDeps, RequestEventDeps and ReconcilerDeps, and keeps
 * one journal across the fakes so tests can assert order.
 */
import { applyLinqEvent, type Settlement } from "../../src/domain/correlation.ts";
import { readLinqEvent } from "../../src/domain/linq-events.ts";
import { FakeClock, SequentialIds } from "./clock.ts";
import { InMemoryIdempotencyStore } from "./idempotency-store.ts";
import { Journal } from "./journal.ts";
import { FakeLinqApi } from "./linq-api.ts";
import { FakeOutcomePublisher, FakeRejectedRequests } from "./outcome-publisher.ts";
import { InMemoryOperationStore } from "./operation-store.ts";

export const CHAT = "6f1f0c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f";
export const OTHER_CHAT = "0d9a8b7c-6e5f-4a3b-8c2d-1e0f9a8b7c6d";

export function makeWorld() {
  const journal = new Journal();
  const world = {
    journal,
    clock: new FakeClock(),
    ids: new SequentialIds(),
    store: new InMemoryOperationStore(journal),
    idempotency: new InMemoryIdempotencyStore(),
    linq: new FakeLinqApi(journal),
    publisher: new FakeOutcomePublisher(journal),
    rejected: new FakeRejectedRequests(),
    /** Delivers a webhook body the way the webhook route does: read it, then apply it under its delivery id. */
    deliver(body: unknown, deliveryId?: string): Promise<Settlement> {
      const event = readLinqEvent(body);
      return applyLinqEvent(world, event, deliveryId ?? `msg_${event.eventId}`);
    },
  };
  return world;
}

export type World = ReturnType<typeof makeWorld>;
