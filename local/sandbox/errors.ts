/**
 * Linq's error envelope and the codes the sandbox answers with, worded as Linq words them, so a client's error
 * handling meets here exactly what it meets in production.
 */

export class LinqError extends Error {
  readonly status: number;
  readonly code: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: number, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = "LinqError";
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const missingField = (field: string): LinqError => new LinqError(400, 1001, `Missing required field: ${field}`);

export const invalidHandle = (): LinqError => new LinqError(400, 1002, "Phone number must be in E.164 format");

export const invalidBody = (): LinqError => new LinqError(400, 1003, "Invalid request body");

export const invalidValue = (what: string): LinqError => new LinqError(400, 1005, `Invalid parameter value: ${what}`);

export const directMessageChat = (): LinqError => new LinqError(409, 1006, "Cannot update direct message chats");

export const rateLimited = (retryAfterSeconds: number): LinqError =>
  new LinqError(429, 1007, "Rate limit exceeded", retryAfterSeconds);

export const notFound = (): LinqError => new LinqError(404, 2001, "Resource not found");

export const unauthorized = (): LinqError =>
  new LinqError(401, 2004, "Unauthorized - missing or invalid authentication token");

export const chatBeingCreated = (): LinqError =>
  new LinqError(409, 2009, "Chat is still being created. Please wait a few seconds and retry the request.");

export const chatUnavailable = (): LinqError => new LinqError(409, 2013, "This chat is unavailable");

export const internalError = (): LinqError => new LinqError(500, 3006, "Internal server error");

/**
 * Newer Linq responses carry a top-level `trace_id`; sending it keeps clients honest about tolerating it. The
 * sandbox's own `/_sandbox` routes are no Linq call and have none.
 */
export function errorEnvelope(error: LinqError, traceId: string | undefined): Record<string, unknown> {
  return {
    error: {
      status: error.status,
      code: error.code,
      message: error.message,
      ...(error.retryAfterSeconds === undefined ? {} : { retry_after: error.retryAfterSeconds }),
    },
    success: false,
    ...(traceId === undefined ? {} : { trace_id: traceId }),
  };
}
