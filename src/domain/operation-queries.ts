/** The read side: one record by its trace id (within a chat, or alone), and a chat's records newest first. */
import { notFound } from "./errors.ts";
import { toPublicRecord, type OperationRecord } from "./operation.ts";
import type { OperationQueries } from "./ports.ts";

export async function getOperation(
  queries: OperationQueries,
  chatId: string,
  traceId: string,
): Promise<OperationRecord> {
  const record = await queries.byChatAndTraceId(chatId, traceId);
  if (record === undefined) throw notFound("Operation not found");
  return toPublicRecord(record);
}

export async function getOperationByTraceId(queries: OperationQueries, traceId: string): Promise<OperationRecord> {
  const record = await queries.byTraceId(traceId);
  if (record === undefined) throw notFound("Operation not found");
  return toPublicRecord(record);
}

/** Linq's own pagination style: `{data, next_cursor}`. */
export async function listOperations(
  queries: OperationQueries,
  chatId: string,
  page: { limit: number; cursor?: string },
): Promise<{ data: OperationRecord[]; next_cursor: string | null }> {
  const { records, nextCursor } = await queries.listByChat(chatId, page);
  return { data: records.map(toPublicRecord), next_cursor: nextCursor };
}
