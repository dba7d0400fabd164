import { operationsDeps } from "../src/app.ts";
import { readServiceTokens } from "../src/config.ts";
import { removeParticipant } from "../src/domain/operations-service.ts";
import { parseChatId, parseIdempotencyKey, parseParticipantRemove } from "../src/domain/validation.ts";
import { httpFunction } from "../src/http/http-function.ts";

const deps = operationsDeps();

export const handler = httpFunction({ tokens: readServiceTokens(process.env), jsonBody: true }, (event) => {
  const chatId = parseChatId(event.pathParameters?.chatId);
  const request = parseParticipantRemove(event.body);
  const idempotencyKey = parseIdempotencyKey(event.headers["idempotency-key"]);
  return removeParticipant(deps, { chatId, request, source: "http", ...(idempotencyKey ? { idempotencyKey } : {}) });
});
