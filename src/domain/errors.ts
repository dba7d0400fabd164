/**
 * Errors in Linq's vocabulary. Every error this service answers, its own or Linq's, becomes Linq's envelope
 * `{"error": {"status", "code", "message"}, "success": false}` in one place (the HTTP error funnel), so the official
 * Linq client pointed at this service sees the error classes and codes it already knows.
 */

export const LinqCode = {
  missingField: 1001,
  invalidPhone: 1002,
  invalidBody: 1003,
  invalidParameter: 1005,
  directMessageChat: 1006,
  rateLimited: 1007,
  notFound: 2001,
  unauthorized: 2004,
  accessDenied: 2005,
  chatBeingCreated: 2009,
  chatUnavailable: 2013,
  internal: 3006,
} as const;

/**
 * Codes of our own, for outcomes Linq never states. They sit in 9xxx, a range none of Linq's documented codes use, so
 * a reader can always tell ours from Linq's.
 */
export const ServiceCode = {
  /** The reconciler read the chat past the final deadline and the requested change was not there. */
  outcomeTimeout: 9001,
} as const;

/** An answer this service gives on purpose. `message` is safe to show: 5xx messages never carry internals. */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: number;
  /** Seconds, for 429 and 503: becomes a `Retry-After` header. */
  readonly retryAfter?: number;
  /**
   * Whether the same request again can change the answer: becomes `x-should-retry`, which the official Linq client
   * obeys, so a client pointed at us does not retry what cannot succeed (and record it again).
   */
  readonly shouldRetry: boolean;

  constructor(
    status: number,
    code: number,
    message: string,
    options?: { cause?: unknown; retryAfter?: number; shouldRetry?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ServiceError";
    this.status = status;
    this.code = code;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    this.shouldRetry = options?.shouldRetry ?? (status >= 500 || status === 429 || status === 408);
  }
}

export function badRequest(code: number, message: string): ServiceError {
  return new ServiceError(400, code, message);
}

export function notFound(message = "Resource not found"): ServiceError {
  return new ServiceError(404, LinqCode.notFound, message);
}

export function unauthorized(): ServiceError {
  return new ServiceError(401, LinqCode.unauthorized, "Unauthorized - missing or invalid authentication token");
}

/**
 * Linq refused the request for good (a 1xxx/2xxx code): passed through with Linq's status and code.
 * Retrying cannot help, so nothing retries it.
 */
/**
 * One try of a call to Linq (the client retries), as far as Linq's answer, if any, tells: done, refused, or unknown (a
 * 5xx or a timeout may have been done all the same, so its operation must expect an event for it too).
 */
export interface LinqTry {
  fate: "accepted" | "refused" | "unknown";
  traceId?: string;
  status?: number;
}

export class LinqRefusal extends ServiceError {
  /** The `X-Trace-ID` of Linq's answer. */
  readonly traceId: string | undefined;
  /** Every try of the call, this refusal last. */
  tries: LinqTry[] = [];

  constructor(status: number, code: number, message: string, traceId?: string) {
    super(status, code, message, { shouldRetry: false });
    this.name = "LinqRefusal";
    this.traceId = traceId;
  }
}

/**
 * Linq could not be reached or kept failing within our deadline. Whether Linq acted is unknown, so the operation stays
 * pending and the reconciler finds out by reading the chat.
 */
export class LinqUnavailable extends ServiceError {
  /** The `X-Trace-ID` of Linq's last answer, when one came. */
  readonly traceId: string | undefined;
  /** Every try of the call. */
  tries: LinqTry[] = [];

  constructor(kind: "timeout" | "unavailable", options?: { cause?: unknown; retryAfter?: number; traceId?: string }) {
    super(
      kind === "timeout" ? 504 : 502,
      LinqCode.internal,
      kind === "timeout" ? "Linq did not answer in time" : "Linq is unavailable",
      options,
    );
    this.name = "LinqUnavailable";
    this.traceId = options?.traceId;
  }
}

/** The same key with another request, or while its first request still runs: a 409 either way. */
export class IdempotencyConflict extends ServiceError {
  readonly reason: "mismatch" | "in-progress";

  constructor(reason: "mismatch" | "in-progress", retryAfter?: number) {
    super(
      409,
      LinqCode.invalidParameter,
      reason === "mismatch"
        ? "Idempotency-Key was already used with a different request"
        : "A request with this Idempotency-Key is still in progress",
      { shouldRetry: reason === "in-progress", ...(retryAfter === undefined ? {} : { retryAfter }) },
    );
    this.name = "IdempotencyConflict";
    this.reason = reason;
  }
}

/** A cursor this service did not hand out, or not for this list. */
export class InvalidCursor extends ServiceError {
  constructor() {
    super(400, LinqCode.invalidParameter, "cursor is not valid for this list");
    this.name = "InvalidCursor";
  }
}

/** A chat so busy that one event kept losing the race to write: Linq retries it, nothing is lost. */
export class Contention extends ServiceError {
  constructor(chatId: string) {
    super(503, LinqCode.internal, "The chat is busy, retry shortly", { retryAfter: 1, shouldRetry: true });
    this.name = "Contention";
    this.chatId = chatId;
  }

  readonly chatId: string;
}

/** Linq's error envelope. The only place its shape is written. */
export function errorEnvelope(error: ServiceError): {
  error: { status: number; code: number; message: string };
  success: false;
} {
  return { error: { status: error.status, code: error.code, message: error.message }, success: false };
}
