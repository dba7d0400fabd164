/**
 * Every port faked and wired once: `world` satisfies OperationsDeps, RequestEventDeps, CorrelationDeps and
 * ReconcilerDeps, and keeps one journal across the fakes so tests can assert order. The store's commits go to the
 * outcome publisher as the table's stream would carry them: a publish that fails stays queued, and `retryStream`
 * delivers it again, as Lambda's event source mapping retries a batch.
 */
import { applyLinqEvent, type Settlement } from "../../src/domain/correlation.ts";
import { readLinqEvent } from "../../src/domain/linq-events.ts";
import { publishOutcomes, type RecordChange } from "../../src/domain/outcomes.ts";
import { InMemoryBacklogPosition } from "./backlog-position.ts";
import { FakeClock, SequentialIds } from "./clock.ts";
import { InMemoryIdempotencyKeys } from "./idempotency-keys.ts";
import { Journal } from "./journal.ts";
import { FakeLinqApi } from "./linq-api.ts";
import { FakeMetrics, FakeOperationLog } from "./metrics.ts";
import { FakeOutcomePublisher, FakeRejectedRequests } from "./outcome-publisher.ts";
import { InMemoryOperationStore } from "./operation-store.ts";

export const CHAT = "6f1f0c2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f";
export const OTHER_CHAT = "0d9a8b7c-6e5f-4a3b-8c2d-1e0f9a8b7c6d";

export function makeWorld() {
  const journal = new Journal();
  const clock = new FakeClock();
  const store = new InMemoryOperationStore({ journal, now: () => clock.now() });
  const publisher = new FakeOutcomePublisher(journal);
  const metrics = new FakeMetrics();
  const unpublished: RecordChange[][] = [];
  let draining = false;
  // One drain at a time, as a shard's batches go one after another: a commit made while a publish is awaited is
  // picked up by the running drain, instead of a second drain publishing the same head batch again.
  const stream = async () => {
    if (draining) return;
    draining = true;
    try {
      while (unpublished.length > 0) {
        await publishOutcomes(publisher, unpublished[0]!, metrics);
        unpublished.shift();
      }
    } finally {
      draining = false;
    }
  };
  store.onCommit = (changes) => {
    unpublished.push(changes);
    void stream().catch(() => {});
  };
  const world = {
    journal,
    clock,
    ids: new SequentialIds(),
    store,
    backlog: store,
    position: new InMemoryBacklogPosition(),
    keys: new InMemoryIdempotencyKeys(),
    linq: new FakeLinqApi(journal),
    publisher,
    rejected: new FakeRejectedRequests(),
    callLeaseMs: 35_000,
    metrics,
    log: new FakeOperationLog(),
    /** Delivers a webhook body the way the webhook route does: read it, then apply it under its delivery id. */
    deliver(body: unknown, deliveryId?: string): Promise<Settlement> {
      const event = readLinqEvent(body);
      const id = deliveryId ?? `msg_${(body as { event_id?: string }).event_id ?? "?"}`;
      return applyLinqEvent(world, event, id);
    },
    /** The stream's retry of batches whose publish failed. */
    retryStream: stream,
    /** Batches the stream still has to publish. */
    unpublished: () => unpublished.length,
  };
  return world;
}

export type World = ReturnType<typeof makeWorld>;
