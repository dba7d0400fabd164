/**
 * EventBridge's PutEvents semantics without the HTTP: which entries EventBridge would accept, what it answers for each,
 * and the event a Lambda subscriber then receives.
 */
import { randomUUID } from "node:crypto";
import type { PutEventsResponse, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import type { EventBridgeEvent } from "aws-lambda";

/** What a subscriber receives: Lambda's EventBridge event with the entry's Detail parsed. */
export type BusEvent = EventBridgeEvent<string, Record<string, unknown>>;

/** A whole-request failure, answered as an AWS JSON error (`__type`, `message`). */
export class AwsError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export interface PutEventsContext {
  busName: string;
  region: string;
  account: string;
  now: Date;
}

export interface PutEventsOutcome {
  response: Required<PutEventsResponse>;
  /** The events built from the accepted entries, in entry order. */
  accepted: BusEvent[];
}

const MAX_ENTRIES = 10;
const MAX_TOTAL_ENTRY_BYTES = 256 * 1024;

/** Throws AwsError when EventBridge would refuse the whole request; otherwise answers entry by entry. */
export function putEvents(input: unknown, context: PutEventsContext): PutEventsOutcome {
  const entries = isObject(input) ? input.Entries : undefined;
  if (!Array.isArray(entries)) {
    throw new AwsError(
      "ValidationException",
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    const bound = entries.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_ENTRIES}`;
    throw new AwsError(
      "ValidationException",
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  if (entries.reduce((total: number, entry) => total + entrySize(entry), 0) > MAX_TOTAL_ENTRY_BYTES) {
    throw new AwsError("ValidationException", "Total size of the entries in the request is over the limit.");
  }

  const accepted: BusEvent[] = [];
  const results = entries.map((entry): PutEventsResultEntry => {
    const event = toEvent(isObject(entry) ? entry : {}, context);
    if ("ErrorCode" in event) return event;
    accepted.push(event);
    return { EventId: event.id };
  });
  return {
    response: { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results },
    accepted,
  };
}

type EntryError = Required<Pick<PutEventsResultEntry, "ErrorCode" | "ErrorMessage">>;

function toEvent(entry: Record<string, unknown>, context: PutEventsContext): BusEvent | EntryError {
  const { Source, DetailType, Detail, EventBusName, Time, Resources } = entry;
  for (const [name, value] of Object.entries({ Source, DetailType, Detail })) {
    if (typeof value !== "string" || value === "") return invalid(name, `${name} is a required argument.`);
  }
  const detail = parseObject(Detail as string);
  if (!detail) return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  if (EventBusName !== undefined && !namesBus(EventBusName, context.busName)) {
    return {
      ErrorCode: "ResourceNotFoundException",
      ErrorMessage: `Event bus ${String(EventBusName)} does not exist.`,
    };
  }
  const time = Time === undefined ? context.now : parseTime(Time);
  if (!time) return invalid("Time", "Time must be epoch seconds or an RFC 3339 timestamp.");
  if (Resources !== undefined && !(Array.isArray(Resources) && Resources.every((arn) => typeof arn === "string"))) {
    return invalid("Resources", "Resources must be a list of strings.");
  }
  // EventBridge keeps the aws.* namespace for AWS services; a custom event there is refused.
  if ((Source as string).startsWith("aws.")) {
    return { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." };
  }
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": DetailType as string,
    source: Source as string,
    account: context.account,
    time: time.toISOString().replace(/\.\d+Z$/, "Z"),
    region: context.region,
    resources: (Resources as string[] | undefined) ?? [],
    detail,
  };
}

function invalid(parameter: string, reason: string): EntryError {
  return { ErrorCode: "InvalidArgument", ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}` };
}

/**
 * Real EventBridge silently accepts an entry for a bus that does not exist; locally a wrong name is refused instead,
 * because that typo is exactly what a local run should catch.
 */
function namesBus(name: unknown, busName: string): boolean {
  if (typeof name !== "string") return false;
  if (name === "default" || name === busName) return true;
  return name.startsWith("arn:") && (name.endsWith(`:event-bus/${busName}`) || name.endsWith(":event-bus/default"));
}

/** The AWS JSON protocol sends timestamps as epoch seconds; hand-written requests may use RFC 3339. */
function parseTime(value: unknown): Date | undefined {
  const millis =
    typeof value === "number"
      ? value * 1000
      : typeof value === "string"
        ? /^\d+(\.\d+)?$/.test(value)
          ? Number(value) * 1000
          : Date.parse(value)
        : Number.NaN;
  return Number.isFinite(millis) ? new Date(millis) : undefined;
}

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** EventBridge's documented entry size: 14 bytes for Time, plus the UTF-8 bytes of Source, DetailType, Detail, Resources. */
function entrySize(entry: unknown): number {
  if (!isObject(entry)) return 0;
  const { Time, Source, DetailType, Detail, Resources } = entry;
  const strings = [Source, DetailType, Detail, ...(Array.isArray(Resources) ? Resources : [])];
  return (
    (Time === undefined ? 0 : 14) +
    strings.reduce((total: number, value) => total + (typeof value === "string" ? Buffer.byteLength(value) : 0), 0)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
