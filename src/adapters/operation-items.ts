/**
 * How records and kept events are laid out as items: their attributes plus the keys of the indexes they belong to.
 * One codec, used by the DynamoDB store and by the in-memory store of the domain tests, so both answer alike.
 */
import { isUnresolved, type KeptEvent } from "../domain/kept-event.ts";
import type { StoredOperation } from "../domain/operation.ts";

/** The sparse backlog index has one partition; see tables.ts for why and when to shard. */
export const PENDING_SHARD = "pending";
/** Sorts after every ISO timestamp: open items stay in the watch index until they settle. */
const OPEN = "open";
/**
 * An ambiguous event stays in view until its candidates decide it, but not forever: a day is far past Linq's delivery
 * horizon, so nothing that could decide it is still coming, and the reconciler has assigned it by then.
 */
const UNRESOLVED_HORIZON_MS = 24 * 60 * 60 * 1000;

export interface ItemOptions {
  /** How long a settled record or a kept event stays in view of new evidence after its last change. */
  watchWindowMs: number;
  /** How long a record is kept after it was created. */
  recordTtlSeconds: number;
}

/** Attributes that exist for keys and indexes only; never part of a record handed back. */
const INDEX_ATTRIBUTES = ["created_key", "pending_shard", "pending_since", "watch_until", "expires_at"];

export function isEventItem(item: Record<string, unknown>): boolean {
  return typeof item.id === "string" && item.id.startsWith("event#");
}

/** An operation record's item, by its kind: not a kept event, nor anything else the table holds. */
export function isOperationItem(item: Record<string, unknown>): boolean {
  return item.kind === "chat.update" || item.kind === "participant.remove";
}

export function toItem(value: StoredOperation | KeptEvent, now: Date, options: ItemOptions): Record<string, unknown> {
  const until = (from: string) => new Date(Date.parse(from) + options.watchWindowMs).toISOString();
  const expires = (from: string) => Math.floor(Date.parse(from) / 1000) + options.recordTtlSeconds;
  if ("kind" in value && (value.kind === "chat.update" || value.kind === "participant.remove")) {
    const record = value as StoredOperation;
    const open = record.status === "pending";
    return {
      ...record,
      created_key: `${record.created_at}#${record.id}`,
      // The reconciler's backlog: what waits for an outcome, or for a call whose function may have died.
      ...(record.status === "pending" || record.calling_since !== undefined
        ? { pending_shard: PENDING_SHARD, pending_since: record.created_at }
        : {}),
      watch_until: open ? OPEN : until(maxTime(record.updated_at, now)),
      expires_at: expires(record.created_at),
    };
  }
  const event = value as KeptEvent;
  return {
    ...event,
    watch_until: isUnresolved(event)
      ? new Date(Date.parse(event.received_at) + UNRESOLVED_HORIZON_MS).toISOString()
      : until(maxTime(event.received_at, now)),
    expires_at: expires(event.received_at),
  };
}

export function fromItem(item: Record<string, unknown>): StoredOperation | KeptEvent {
  const value = { ...item };
  for (const attribute of INDEX_ATTRIBUTES) delete value[attribute];
  return value as unknown as StoredOperation | KeptEvent;
}

function maxTime(iso: string, now: Date): string {
  const nowIso = now.toISOString();
  return iso > nowIso ? iso : nowIso;
}
