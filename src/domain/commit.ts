/**
 * The one way a decision becomes state: read the chat, decide, commit every write of the decision at once, and on a
 * conflict (another writer moved an item in between) read again and decide again. Outcome events are not published
 * here: the table's stream publishes each record's move to a terminal state (outcomes.ts), so no writer can forget it.
 */
import { Contention } from "./errors.ts";
import type { Decision } from "./evidence.ts";
import type { ChatView, OperationStore } from "./ports.ts";

/** Conflicts are normal on a busy chat; this bounds how long one event keeps trying before Linq is asked to retry. */
const BUDGET_MS = 6_000;

export async function commitWithRetries<S>(
  store: OperationStore,
  chatId: string,
  decide: (view: ChatView) => { decision: Decision; settlement: S } | "duplicate",
): Promise<S | { result: "duplicate" }> {
  const deadline = Date.now() + BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    const view = await store.watch(chatId);
    const decided = decide(view);
    if (decided === "duplicate") return { result: "duplicate" };
    const changes = decided.decision.changes();
    if (changes.length === 0) return decided.settlement;
    if ((await store.commit(changes)).result === "saved") return decided.settlement;
    if (Date.now() >= deadline) throw new Contention(chatId);
    // Full jitter, so writers that collided do not collide again in step.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 10 * 2 ** attempt)));
  }
}
