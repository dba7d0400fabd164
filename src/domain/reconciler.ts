/**
 * Settles what no webhook settled. Linq sends no event for a failed removal, and webhooks can be lost, so what is left
 * is the chat itself: read it from Linq and weigh it, with the chat's kept events and its other operations, against
 * each pending operation. Never "failed" merely because a value is not there:
 *
 * - the chat shows the change (the handle listed removed or left, the value in place): succeeded, proven; inferred
 *   when something else could have put the value there (a person, another operation asking the same, or the chat
 *   showing it since before the request);
 * - the handle is no longer listed, or was re-added after our request: succeeded, inferred;
 * - after `failAfterMs` (past Linq's delivery horizon, so no event is still on its way), a later change of the same
 *   part (a later operation of ours, a change kept against the chat, an icon Linq shows as set since) explains the
 *   missing value: succeeded, inferred, "overwritten"; nothing explains it: failed, inferred, by deadline (9001);
 * - a chat Linq will not show (gone, refused) fails by the same deadline, saying what Linq answered.
 * What the chat proves is settled first: an operation it shows done no longer owns a kept failure event, which can
 * decide the event's owner as another candidate's success event would. Events kept as ambiguous whose candidates are
 * all past the deadline are assigned in order, inferred.
 */
import { InvalidCursor, LinqCode, LinqRefusal, ServiceCode } from "./errors.ts";
import {
  assign,
  byAge,
  candidatesFor,
  chosenByDeadline,
  Decision,
  fits,
  resolveAmbiguous,
  sameHandle,
} from "./evidence.ts";
import { isUnresolved } from "./kept-event.ts";
import {
  abandonCall,
  awaitingParts,
  settlePart,
  type Evidence,
  type OperationKind,
  type Part,
  type PartOutcome,
  type StoredOperation,
  type UpdatePart,
} from "./operation.ts";
import type { Backlog, BacklogPosition, ChatView, Clock, LinqApi, LinqChat, OperationStore } from "./ports.ts";
import { commitWithRetries } from "./commit.ts";

export interface ReconcilerDeps {
  store: OperationStore;
  backlog: Backlog;
  /** Where the last run stopped. */
  position: BacklogPosition;
  linq: LinqApi;
  clock: Clock;
}

export interface ReconcilerPolicy {
  settleAfterMs: number;
  /**
   * Per kind, past Linq's delivery horizon (it retries a webhook for about 25 minutes): no event can still be on its
   * way, so what the chat shows is final.
   */
  failAfterMs: Record<OperationKind, number>;
  /** Longer than any function can run: a call still marked in flight after this died with its function. */
  abandonCallAfterMs: number;
  batchSize: number;
  /** Pages of `batchSize` one run may check, so a backlog does not keep a run re-reading one page. */
  maxPages: number;
  /** Chats read from Linq at once. */
  concurrency: number;
}

export interface ReconcileReport {
  checked: number;
  settled: number;
  errors: number;
  /** The run stopped at its time budget with work left: the next run carries on. */
  stoppedEarly: boolean;
}

/** What went wrong with one chat, for the caller to log: the run goes on with the others. */
export type ReconcileError = { chatId: string; error: unknown };

/** Linq would not show the chat: gone, left, refused. Decides nothing before the deadline, then fails what waits. */
type Read = { chat: LinqChat } | { refused: LinqRefusal };

/**
 * One run: from where the last run stopped, page by page through the backlog, each chat read once however many of its
 * operations wait. A run that reaches the end of the backlog wraps to its beginning once (so the oldest chats are
 * never starved by a walk that always resumes further on), and a run that stops early, at its deadline or its page
 * budget, saves where it stopped: the first page it did not finish.
 */
export async function reconcile(
  deps: ReconcilerDeps,
  policy: ReconcilerPolicy,
  options: { deadline?: number; onError?: (error: ReconcileError) => void } = {},
): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, settled: 0, errors: 0, stoppedEarly: false };
  const now = deps.clock.now();
  const before = new Date(now.getTime() - policy.settleAfterMs).toISOString();
  const outOfTime = () => options.deadline !== undefined && Date.now() >= options.deadline;

  const start = await deps.position.load();
  let cursor = start;
  // A walk from the beginning has nothing to wrap to.
  let wrapped = start === undefined;
  const visited = new Set<string>();
  let stopAt: string | undefined;

  for (let page = 0; ; page++) {
    if (page >= policy.maxPages || outOfTime()) {
      report.stoppedEarly ||= outOfTime();
      stopAt = cursor;
      break;
    }
    let read: Awaited<ReturnType<Backlog["pendingBefore"]>>;
    try {
      read = await deps.backlog.pendingBefore(before, policy.batchSize, cursor);
    } catch (error) {
      // A saved position the store no longer takes (its format changed): start again from the beginning.
      if (!(error instanceof InvalidCursor) || cursor === undefined) throw error;
      cursor = undefined;
      wrapped = true;
      continue;
    }
    const { records, next } = read;
    let finished = true;
    const chats = [...new Set(records.map((record) => record.chat_id))].filter((chatId) => !visited.has(chatId));
    await inParallel(chats, policy.concurrency, async (chatId) => {
      if (outOfTime()) {
        report.stoppedEarly = true;
        finished = false;
        return;
      }
      visited.add(chatId);
      try {
        const settled = await reconcileChat(deps, policy, chatId, now);
        report.checked += records.filter((record) => record.chat_id === chatId).length;
        report.settled += settled;
      } catch (error) {
        report.errors++;
        options.onError?.({ chatId, error });
      }
    });
    if (!finished) {
      // The page's other chats were read; reading them again next run costs less than losing their place.
      stopAt = cursor;
      break;
    }
    if (next !== undefined) {
      cursor = next;
      continue;
    }
    // The end of the backlog: the next run starts at the beginning, or this one does if it began further on.
    if (wrapped) {
      stopAt = undefined;
      break;
    }
    wrapped = true;
    cursor = undefined;
  }
  if (stopAt !== start) await deps.position.save(stopAt);
  return report;
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async () => {
    while (index < items.length) await run(items[index++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** One read of the chat, weighed against all of its pending operations; answers how many it settled. */
export async function reconcileChat(
  deps: ReconcilerDeps,
  policy: ReconcilerPolicy,
  chatId: string,
  now: Date,
): Promise<number> {
  let read: Read;
  try {
    read = { chat: await deps.linq.getChat(chatId) };
  } catch (error) {
    if (!(error instanceof LinqRefusal)) throw error;
    read = { refused: error };
  }
  const result = await commitWithRetries(deps.store, chatId, (view) => {
    const decision = decideFromChat(view, read, now, policy);
    return { decision, settlement: decision.settled().filter((record) => record.status !== "pending").length };
  });
  return typeof result === "number" ? result : 0;
}

/** The writes a read of the chat makes. Pure. */
export function decideFromChat(view: ChatView, read: Read, now: Date, policy: ReconcilerPolicy): Decision {
  const decision = new Decision(view);
  const at = now.toISOString();
  const age = (record: StoredOperation) => now.getTime() - Date.parse(record.created_at);
  const due = (record: StoredOperation) => record.status === "pending" && age(record) >= policy.settleAfterMs;
  const overdue = (record: StoredOperation) => age(record) >= policy.failAfterMs[record.kind];

  const judgeAll = (pastDeadline: boolean) => {
    for (const original of view.operations.filter(due).sort(byAge)) {
      for (const part of awaitingParts(decision.current(original))) {
        const late = pastDeadline && overdue(original);
        const outcome = judge(decision.current(original), part, read, decision.view(), late, at);
        if (outcome !== undefined) decision.operation(original, settlePart(decision.current(original), part, outcome));
      }
    }
  };

  // A call whose function died stops being waited for: its operation counts it as unknown, and may publish.
  for (const record of view.operations) {
    if (
      record.calling_since !== undefined &&
      now.getTime() - Date.parse(record.calling_since) >= policy.abandonCallAfterMs
    ) {
      decision.operation(record, abandonCall(decision.current(record), at));
    }
  }

  // What the chat proves comes first: an operation it shows done can no longer own a kept failure, which may decide
  // who does before any deadline is weighed.
  const unresolved = () => decision.view().events.filter(isUnresolved);
  judgeAll(false);
  for (const part of new Set(unresolved().map((event) => event.part as Part))) resolveAmbiguous(decision, part, at);

  // A kept event still undecided when its oldest candidate is past the deadline is that candidate's: every event of
  // the oldest has arrived by then (Linq's delivery horizon), and any that would have decided otherwise would have.
  for (const event of unresolved().sort((a, b) => a.received_at.localeCompare(b.received_at))) {
    const candidates = candidatesFor(decision.view(), event.part as Part, event.outcome).filter(
      (record) => event.candidates === undefined || event.candidates.includes(record.id),
    );
    const oldest = candidates[0];
    if (oldest !== undefined && overdue(oldest)) {
      const fitting = candidates.filter((record) => fits(record, event.part as Part, event.outcome)).length;
      // Eliminating candidates that an earlier choice by deadline settled is no better than that choice.
      const guessed = chosenByDeadline(decision.view(), event.part as Part);
      const how =
        fitting > 1
          ? `by deadline, the oldest of ${fitting} operations it could belong to: nothing Linq sent said which`
          : guessed
            ? "by deadline, the only candidate left once another was chosen by deadline"
            : "by deadline, the only candidate it fits";
      assign(decision, event, oldest, how, at, fitting > 1 || guessed ? "deadline" : "elimination");
    }
  }

  judgeAll(true);
  return decision;
}

function judge(
  record: StoredOperation,
  part: Part,
  read: Read,
  view: ChatView,
  overdue: boolean,
  at: string,
): PartOutcome | undefined {
  const settle = (
    status: "succeeded" | "failed",
    basis: "proven" | "inferred",
    conclusion: string,
    seen: Extract<Evidence, { source: "reconciler" }>["read"],
  ): PartOutcome => ({
    status,
    at,
    by: "reconciler",
    basis,
    ...(status === "failed" ? { errorCode: ServiceCode.outcomeTimeout } : {}),
    reason: conclusion,
    evidence: { source: "reconciler", read: seen, conclusion, at },
  });

  if ("refused" in read) {
    if (!overdue) return undefined;
    const { refused } = read;
    const what =
      refused.code === LinqCode.notFound
        ? "Linq no longer knows the chat"
        : `Linq refused to show the chat (${refused.status}/${refused.code})`;
    return settle("failed", "inferred", `timeout: ${what}`, {
      refused: { status: refused.status, code: refused.code },
    });
  }
  const { chat } = read;

  if (part === "participant" && record.kind === "participant.remove") {
    const listed = chat.handles.find((handle) => sameHandle(handle.handle, record.request.handle));
    const seen = { handle_status: listed?.status ?? null, joined_at: listed?.joined_at ?? null };
    if (listed === undefined)
      return settle("succeeded", "inferred", "the handle is no longer listed in the chat", seen);
    if (listed.status === "removed" || listed.status === "left") {
      return settle("succeeded", "proven", `the chat lists the handle as ${listed.status}`, seen);
    }
    if (listed.joined_at !== null && listed.joined_at > record.created_at) {
      return settle("succeeded", "inferred", "overwritten: the handle was added again after our removal", seen);
    }
    return overdue ? settle("failed", "inferred", "timeout: the participant is still in the chat", seen) : undefined;
  }

  if (record.kind !== "chat.update" || part === "participant") return undefined;
  const requested = record.request[part];
  const shown = chat[part];
  const seen = { [part]: shown, updated_at: chat.updated_at };
  if (shown === requested) {
    // The value proves this operation's call only if nothing else could have put it there.
    const person = laterChanges(view, part, record).some((event) => event.evidence?.value === requested);
    const another = view.operations.some(
      (other) => other.id !== record.id && other.kind === "chat.update" && other.request[part] === requested,
    );
    const already = chat.updated_at !== null && chat.updated_at <= record.created_at;
    const but = person
      ? "which a person also set"
      : another
        ? "which another operation also asked for"
        : already
          ? "as it did before the request"
          : undefined;
    return but === undefined
      ? settle("succeeded", "proven", "the chat shows the requested value", seen)
      : settle("succeeded", "inferred", `the chat shows the requested value, ${but}`, seen);
  }
  if (!overdue) return undefined;
  const explanation = overwrittenBy(record, part, view, chat);
  return explanation === undefined
    ? settle("failed", "inferred", "timeout: the chat does not show the requested value and nothing explains it", seen)
    : settle("succeeded", "inferred", `overwritten: ${explanation}`, seen);
}

function laterChanges(view: ChatView, part: Part, record: StoredOperation) {
  return view.events.filter(
    (event) => event.kind === "change" && event.part === part && (event.evidence?.at ?? "") > record.created_at,
  );
}

/** A later change of the same part that explains why the chat does not show this operation's value. */
function overwrittenBy(record: StoredOperation, part: UpdatePart, view: ChatView, chat: LinqChat): string | undefined {
  const later = view.operations.find(
    (other) =>
      other.id !== record.id &&
      other.kind === "chat.update" &&
      other.created_at > record.created_at &&
      other.request[part] !== undefined &&
      (other.results[part]?.status === "succeeded" || chat[part] === other.request[part]),
  );
  if (later !== undefined) return `a later operation (${later.trace_id}) changed it`;
  const change = laterChanges(view, part, record)[0];
  if (change !== undefined) return `a later change of the chat (${change.event_type ?? "event"} ${change.id.slice(6)})`;
  if (part === "group_chat_icon" && chat.group_chat_icon !== null && (chat.updated_at ?? "") > record.created_at) {
    return "the chat shows an icon set since the request (Linq may host icons itself)";
  }
  return undefined;
}
