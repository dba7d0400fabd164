/**
 * The two operations' HTTP entry points are one shape: the chat from the path, the body under its rules, the
 * `Idempotency-Key` header, then the service call; only the body's parser and the call differ.
 */
import type { OperationCall, OperationResult, OperationsDeps } from "../domain/operations-service.ts";
import { parseChatId, parseIdempotencyKey } from "../domain/validation.ts";
import { readServiceTokens } from "../config.ts";
import { httpFunction } from "./http-function.ts";

export function operationFunction<R>(
  deps: OperationsDeps,
  parseBody: (body: unknown) => R,
  perform: (deps: OperationsDeps, call: OperationCall<R>) => Promise<OperationResult>,
) {
  return httpFunction({ tokens: readServiceTokens(), jsonBody: true }, async (event) => {
    const chatId = parseChatId(event.pathParameters?.chatId);
    const request = parseBody(event.body);
    const idempotencyKey = parseIdempotencyKey(event.headers["idempotency-key"]);
    const { answer } = await perform(deps, {
      chatId,
      request,
      source: "http",
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    });
    return answer;
  });
}
