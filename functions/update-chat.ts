import { operationsDeps } from "../src/app.ts";
import { readServiceTokens } from "../src/config.ts";
import { updateChat } from "../src/domain/operations-service.ts";
import { parseChatId, parseChatUpdate, parseIdempotencyKey } from "../src/domain/validation.ts";
import { httpFunction } from "../src/http/http-function.ts";

const deps = operationsDeps();

export const handler = httpFunction({ tokens: readServiceTokens(process.env), jsonBody: true }, (event) => {
  const chatId = parseChatId(event.pathParameters?.chatId);
  const request = parseChatUpdate(event.body);
  const idempotencyKey = parseIdempotencyKey(event.headers["idempotency-key"]);
  return updateChat(deps, { chatId, request, source: "http", ...(idempotencyKey ? { idempotencyKey } : {}) });
});
