/** The DynamoDB stores. The SDK finds its region and endpoint itself (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`). */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoBacklogPosition } from "../adapters/dynamo-backlog-position.ts";
import { DynamoIdempotencyKeys } from "../adapters/dynamo-idempotency-keys.ts";
import { DynamoOperationStore } from "../adapters/dynamo-operation-store.ts";
import { readLedgerTable, readOperationsTable, readWatchWindowMs } from "../config.ts";
import { memo, unlogged } from "./system.ts";

const DAY = 24 * 60 * 60;

/** The one client every store of a process uses; exported so `npm run bench` can count its requests on it. */
export const documentClient = memo(() =>
  DynamoDBDocumentClient.from(unlogged(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
);

export const operationStore = memo(
  (env) =>
    new DynamoOperationStore({
      client: documentClient(env),
      tableName: readOperationsTable(env),
      watchWindowMs: readWatchWindowMs(env),
      recordTtlSeconds: 90 * DAY,
    }),
);

export const idempotencyKeys = memo(
  (env) => new DynamoIdempotencyKeys({ client: documentClient(env), tableName: readLedgerTable(env), ttlSeconds: DAY }),
);

export const backlogPosition = memo(
  (env) => new DynamoBacklogPosition({ client: documentClient(env), tableName: readOperationsTable(env) }),
);
