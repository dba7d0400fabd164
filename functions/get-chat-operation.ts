import { operationStore } from "../src/app/dynamodb.ts";
import { readServiceTokens } from "../src/config.ts";
import { getOperation } from "../src/domain/operation-queries.ts";
import { parseChatId, parseTraceId } from "../src/domain/validation.ts";
import { httpFunction } from "../src/http/http-function.ts";

const store = operationStore();

export const handler = httpFunction({ tokens: readServiceTokens(), jsonBody: false }, async (event) => {
  const chatId = parseChatId(event.pathParameters?.chatId);
  const traceId = parseTraceId(event.pathParameters?.traceId);
  return { status: 200, body: await getOperation(store, chatId, traceId) };
});
