/**
 * Settles what no webhook settled. Linq sends no event for a failed removal, and webhooks can be dropped, so the only
 * truth left is the chat itself: read it from Linq and compare with what each pending operation asked for.
 *
 * - After `settleAfterMs` a pending operation is checked: a removed (or absent) handle means the removal happened; the
 *   requested name or icon in place means that part happened.
 * - After `failAfterMs` a part that still has not happened fails with a timeout reason.
 * - A removal whose Linq answer was lost (the function died while it was awaited) keeps our trace id for good once it
 *   is older than any invocation could run.
 * - Outcome events whose publisher died are published (the outbox).
 */
import { LinqCode, LinqRefusal, ServiceCode } from "./errors.ts";
import { awaitingParts, settlePart, type Part, type StoredOperation } from "./operation.ts";
import { deliverOutcome, publishAfterWrite, type OutcomeDeps } from "./outcomes.ts";
import type { Clock, LinqApi, LinqChat } from "./ports.ts";
import { normalizeHandle } from "./validation.ts";

export interface ReconcilerDeps extends OutcomeDeps {
  linq: LinqApi;
  clock: Clock;
}

export interface ReconcilerPolicy {
  settleAfterMs: number;
  failAfterMs: number;
  /** Longer than the slowest invocation that could still be waiting for Linq's answer. */
  abandonAwaitingAfterMs: number;
  /** An outbox mark this old has no live publisher any more. */
  outboxAfterMs: number;
  batchSize: number;
  /**
   * Pages of `batchSize` one run may check. More than one, so a backlog (Linq down for an hour) does not leave the run
   * re-reading the same oldest page while newer operations wait; bounded, so a run ends well inside its timeout.
   */
  maxPages?: number;
}

export interface ReconcileReport {
  checked: number;
  settled: number;
  published: number;
  errors: number;
}

export async function reconcile(deps: ReconcilerDeps, policy: ReconcilerPolicy): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, settled: 0, published: 0, errors: 0 };
  const now = deps.clock.now();
  const before = (ms: number) => new Date(now.getTime() - ms).toISOString();

  let after: StoredOperation | undefined;
  for (let page = 0; page < (policy.maxPages ?? 1); page++) {
    const pending = await deps.store.pendingBefore(before(policy.settleAfterMs), policy.batchSize, after);
    await settlePage(deps, policy, pending, now, report);
    if (pending.length < policy.batchSize) break;
    after = pending.at(-1);
  }

  for (const record of await deps.store.outboxBefore(before(policy.outboxAfterMs), policy.batchSize)) {
    try {
      const publishable = await giveUpAwaitedTraceId(deps, policy, record, now);
      if (publishable === undefined) continue;
      await deliverOutcome(deps, publishable);
      report.published++;
    } catch {
      report.errors++;
    }
  }
  return report;
}

/**
 * A removal settled by its webhook while Linq's answer was still awaited publishes once it is renamed. If the function
 * renaming it died, the outcome would wait forever: past the abandon deadline it is published under our trace id.
 */
async function giveUpAwaitedTraceId(
  deps: ReconcilerDeps,
  policy: ReconcilerPolicy,
  record: StoredOperation,
  now: Date,
): Promise<StoredOperation | undefined> {
  if (!record.awaiting_trace_id) return record;
  if (now.getTime() - Date.parse(record.created_at) < policy.abandonAwaitingAfterMs) return undefined;
  const { awaiting_trace_id: _awaiting, ...kept } = record;
  const next = { ...kept, version: record.version + 1, updated_at: now.toISOString() };
  return (await deps.store.save(next, record.version)) === "saved" ? next : undefined;
}

/** One read of each chat, shared by all of its pending operations on the page. */
async function settlePage(
  deps: ReconcilerDeps,
  policy: ReconcilerPolicy,
  pending: StoredOperation[],
  now: Date,
  report: ReconcileReport,
): Promise<void> {
  for (const [chatId, records] of Map.groupBy(pending, (record) => record.chat_id)) {
    let chat: LinqChat | "gone";
    try {
      chat = await deps.linq.getChat(chatId);
    } catch (error) {
      if (!(error instanceof LinqRefusal && error.code === LinqCode.notFound)) {
        // One chat Linq cannot show now must not stop the others; the next run tries again.
        report.errors += records.length;
        continue;
      }
      chat = "gone";
    }
    for (const record of records) {
      report.checked++;
      try {
        if (await settleFromChat(deps, policy, record, chat, now)) report.settled++;
      } catch {
        report.errors++;
      }
    }
  }
}

async function settleFromChat(
  deps: ReconcilerDeps,
  policy: ReconcilerPolicy,
  record: StoredOperation,
  chat: LinqChat | "gone",
  now: Date,
): Promise<boolean> {
  const age = now.getTime() - Date.parse(record.created_at);
  const at = now.toISOString();
  let next: StoredOperation = record;
  if (record.awaiting_trace_id) {
    if (age < policy.abandonAwaitingAfterMs) return false;
    const { awaiting_trace_id: _awaiting, ...kept } = record;
    next = kept;
  }
  for (const part of awaitingParts(record)) {
    const happened = chat !== "gone" && hasHappened(record, part, chat);
    const outcome = happened
      ? ({ status: "succeeded", at, by: "reconciler" } as const)
      : age >= policy.failAfterMs
        ? ({
            status: "failed",
            at,
            by: "reconciler",
            errorCode: ServiceCode.outcomeTimeout,
            reason: timeoutReason(part, chat),
          } as const)
        : undefined;
    if (outcome !== undefined) next = settlePart(next, part, outcome) ?? next;
  }
  if (next === record) return false;
  // One conditional write for all of it, whatever number of steps led here.
  next = { ...next, version: record.version + 1, updated_at: at };
  if ((await deps.store.save(next, record.version)) !== "saved") return false;
  await publishAfterWrite(deps, record, next);
  return true;
}

function hasHappened(record: StoredOperation, part: Part, chat: LinqChat): boolean {
  if (record.kind === "participant.remove") {
    const handle = chat.handles.find((h) => sameHandle(h.handle, record.request.handle));
    return handle === undefined || handle.status === "removed" || handle.status === "left";
  }
  if (part === "display_name") return chat.display_name === record.request.display_name;
  if (part === "group_chat_icon") return chat.group_chat_icon === record.request.group_chat_icon;
  return false;
}

function sameHandle(linqHandle: string, normalized: string): boolean {
  try {
    return normalizeHandle(linqHandle) === normalized;
  } catch {
    return false;
  }
}

function timeoutReason(part: Part, chat: LinqChat | "gone"): string {
  if (chat === "gone") return "timeout: Linq no longer knows the chat";
  return part === "participant"
    ? "timeout: the participant is still in the chat"
    : "timeout: the chat does not show the requested value";
}
