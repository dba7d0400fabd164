/** The read side: one record by its key or its trace id alone, and a chat's records newest first. */
import { notFound } from "./errors.ts";
import { toPublicRecord, type OperationRecord } from "./operation.ts";
import type { OperationStore } from "./ports.ts";

export async function getOperation(store: OperationStore, chatId: string, traceId: string): Promise<OperationRecord> {
  const record = await store.get(chatId, traceId);
  if (record === undefined) throw notFound("Operation not found");
  return toPublicRecord(record);
}

export async function getOperationByTraceId(store: OperationStore, traceId: string): Promise<OperationRecord> {
  const record = await store.getByTraceId(traceId);
  if (record === undefined) throw notFound("Operation not found");
  return toPublicRecord(record);
}

/** Linq's own pagination style: `{data, next_cursor}`. */
export async function listOperations(
  store: OperationStore,
  chatId: string,
  page: { limit: number; cursor?: string },
): Promise<{ data: OperationRecord[]; next_cursor: string | null }> {
  const { records, nextCursor } = await store.listByChat(chatId, page);
  return { data: records.map(toPublicRecord), next_cursor: nextCursor };
}
