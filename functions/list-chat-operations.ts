import { operationStore } from "../src/app/dynamodb.ts";
import { readServiceTokens } from "../src/config.ts";
import { listOperations } from "../src/domain/operation-queries.ts";
import { parseChatId, parseListLimit } from "../src/domain/validation.ts";
import { httpFunction } from "../src/http/http-function.ts";

const store = operationStore();

export const handler = httpFunction({ tokens: readServiceTokens(), jsonBody: false }, async (event) => {
  const chatId = parseChatId(event.pathParameters?.chatId);
  const limit = parseListLimit(event.queryStringParameters?.limit);
  const cursor = event.queryStringParameters?.cursor;
  return { status: 200, body: await listOperations(store, chatId, { limit, ...(cursor ? { cursor } : {}) }) };
});
