import { operationStore } from "../src/app/dynamodb.ts";
import { readServiceTokens } from "../src/config.ts";
import { getOperationByTraceId } from "../src/domain/operation-queries.ts";
import { parseTraceId } from "../src/domain/validation.ts";
import { httpFunction } from "../src/http/http-function.ts";

const store = operationStore();

export const handler = httpFunction({ tokens: readServiceTokens(), jsonBody: false }, async (event) => {
  const traceId = parseTraceId(event.pathParameters?.traceId);
  return { status: 200, body: await getOperationByTraceId(store, traceId) };
});
