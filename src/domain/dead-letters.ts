/**
 * What lands in the two dead-letter queues, read into what an operator needs: why, and what can be sent again.
 *
 * RequestDeadLetters holds three shapes, all carrying the request event:
 * - `rejected`: ours (sqs-rejected-requests.ts), `{reason, event}`: malformed, or an idempotency key reused for
 *   another request. Sending it again helps only after a fix.
 * - `failed`: Lambda's on-failure record of an asynchronous invocation whose retries ran out or whose event grew too
 *   old: `requestContext.condition`, `requestPayload` (the event), `responsePayload` (the error).
 * - `undeliverable`: EventBridge's own dead letter when it could not invoke the function at all: the event as the
 *   body, `ERROR_CODE`/`ERROR_MESSAGE` (and `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`) as message attributes.
 *
 * OutcomeDeadLetters holds Lambda's on-failure record of a stream batch (`DDBStreamBatchInfo`): the stream, shard and
 * sequence-number range, not the records. The stream keeps records 24 hours; the mapping dead-letters a batch at most
 * 6 hours after it was written (stacks/streams.ts), which leaves at least 18 to read it again.
 */
import { REQUEST_DETAIL_TYPES } from "../definitions/events.ts";

/** A message as the queue holds it. */
export interface QueuedMessage {
  id: string;
  body: string;
  /** String message attributes. */
  attributes: Readonly<Record<string, string>>;
  /** When SQS received it (ISO). */
  sentAt?: string;
}

/** A request event as the bus delivered it. */
export interface RequestEvent {
  id: string;
  source: string;
  detailType: string;
  detail: unknown;
}

export interface StreamBatch {
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  batchSize: number;
  /** When the first record of the range was written (ISO): its 24 h in the stream start here. */
  firstRecordAt: string;
}

export type DeadLetter =
  | { kind: "rejected" | "failed" | "undeliverable"; reason: string; event: RequestEvent | undefined }
  | { kind: "outcome-batch"; reason: string; batch: StreamBatch }
  | { kind: "unreadable"; reason: string };

/** DynamoDB Streams keeps a record this long after it was written. */
export const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** The request event, if the payload is one the bus could carry again. */
export function requestEventOf(payload: unknown): RequestEvent | undefined {
  if (!isObject(payload)) return undefined;
  const id = text(payload.id);
  const source = text(payload.source);
  const detailType = text(payload["detail-type"]);
  if (id === undefined || source === undefined || detailType === undefined) return undefined;
  return { id, source, detailType, detail: payload.detail };
}

function lambdaError(body: Json): string {
  const context = isObject(body.requestContext) ? body.requestContext : {};
  const condition = text(context.condition) ?? "failed";
  const count = typeof context.approximateInvokeCount === "number" ? context.approximateInvokeCount : undefined;
  const response = isObject(body.responsePayload) ? body.responsePayload : undefined;
  const responseContext = isObject(body.responseContext) ? body.responseContext : {};
  const error = response
    ? [text(response.errorType), text(response.errorMessage)].filter((part) => part !== undefined).join(": ")
    : text(responseContext.functionError);
  const attempts = count === undefined ? "" : ` after ${count} invocation${count === 1 ? "" : "s"}`;
  return `${condition}${attempts}${error ? `: ${error}` : ""}`;
}

function streamBatch(info: Json): StreamBatch | undefined {
  const streamArn = text(info.streamArn);
  const shardId = text(info.shardId);
  const start = text(info.startSequenceNumber);
  const end = text(info.endSequenceNumber);
  const first = text(info.approximateArrivalOfFirstRecord);
  if (!streamArn || !shardId || !start || !end || !first || !/^\d+$/.test(start) || !/^\d+$/.test(end)) {
    return undefined;
  }
  if (Number.isNaN(Date.parse(first))) return undefined;
  return {
    streamArn,
    shardId,
    startSequenceNumber: start,
    endSequenceNumber: end,
    batchSize: typeof info.batchSize === "number" ? info.batchSize : 0,
    firstRecordAt: new Date(first).toISOString(),
  };
}

export function readDeadLetter(message: QueuedMessage): DeadLetter {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    return { kind: "unreadable", reason: "the body is not JSON" };
  }
  if (!isObject(body)) return { kind: "unreadable", reason: "the body is not a JSON object" };

  const errorCode = message.attributes.ERROR_CODE;
  if (errorCode !== undefined) {
    const errorMessage = message.attributes.ERROR_MESSAGE;
    const condition = message.attributes.EXHAUSTED_RETRY_CONDITION;
    const reason = [`${errorCode}${errorMessage ? `: ${errorMessage}` : ""}`, condition].filter(Boolean).join("; ");
    return { kind: "undeliverable", reason, event: requestEventOf(body) };
  }
  if (isObject(body.DDBStreamBatchInfo)) {
    const batch = streamBatch(body.DDBStreamBatchInfo);
    if (batch === undefined) return { kind: "unreadable", reason: "a stream batch record without its range" };
    return { kind: "outcome-batch", reason: lambdaError(body), batch };
  }
  if ("requestPayload" in body && isObject(body.requestContext)) {
    return { kind: "failed", reason: lambdaError(body), event: requestEventOf(body.requestPayload) };
  }
  if (typeof body.reason === "string" && "event" in body) {
    return { kind: "rejected", reason: body.reason, event: requestEventOf(body.event) };
  }
  return { kind: "unreadable", reason: "not a shape this service dead-letters" };
}

/**
 * The entry that puts a request event on the bus again. EventBridge gives it a new id, and the handler keys an event
 * without `idempotency_key` on its id (request-events.ts): so the original id is carried as the key the handler
 * derived from it, `event:<id>`, and an operation that already reached Linq is carried on rather than run twice.
 */
export function redriveEntry(event: RequestEvent): { source: string; detailType: string; detail: string } {
  // Put back, an event no rule matches would vanish, and its dead letter with it.
  if (!(REQUEST_DETAIL_TYPES as readonly string[]).includes(event.detailType)) {
    throw new Error(`its detail-type ${JSON.stringify(event.detailType)} matches no subscription on the bus`);
  }
  const detail =
    // Null is absent too, as the handler reads it: left null, the event would run again under its new id.
    isObject(event.detail) && event.detail.idempotency_key == null
      ? { ...event.detail, idempotency_key: `event:${event.id}` }
      : event.detail;
  return { source: event.source, detailType: event.detailType, detail: JSON.stringify(detail) };
}

/** Why a batch cannot be read from the stream again, or undefined while it can. */
export function beyondRetention(batch: StreamBatch, now: Date): string | undefined {
  const expiresAt = Date.parse(batch.firstRecordAt) + STREAM_RETENTION_MS;
  if (now.getTime() < expiresAt) return undefined;
  return (
    `its records were written at ${batch.firstRecordAt}, past the stream's 24 h retention: ` +
    "the operations are settled in the table, but their outcome events cannot be rebuilt from the stream"
  );
}

/** Whether a stream sequence number lies in the batch's range (they are decimal strings longer than 2^53). */
export function inRange(sequenceNumber: string, batch: StreamBatch): boolean {
  const n = BigInt(sequenceNumber);
  return n >= BigInt(batch.startSequenceNumber) && n <= BigInt(batch.endSequenceNumber);
}

export function pastRange(sequenceNumber: string, batch: StreamBatch): boolean {
  return BigInt(sequenceNumber) >= BigInt(batch.endSequenceNumber);
}
