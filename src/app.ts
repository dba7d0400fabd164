/**
 * The composition root: the one place adapters are built from config and handed to the domain. Each function module
 * calls the builders it needs at cold start; every builder is memoized, so a process (a Lambda container, or `npm start`
 * hosting every handler) holds one client of each kind.
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoIdempotencyStore } from "./adapters/dynamo-idempotency-store.ts";
import { DynamoOperationStore } from "./adapters/dynamo-operation-store.ts";
import { EventBridgePublisher } from "./adapters/eventbridge-publisher.ts";
import { LinqClient, type RetryPolicy } from "./adapters/linq-client.ts";
import { SqsRejectedRequests } from "./adapters/sqs-rejected-requests.ts";
import { WebhookVerifier } from "./adapters/webhook-verifier.ts";
import {
  readAwsConfig,
  readDeadLetterQueueUrl,
  readEventBusName,
  readLinqConfig,
  readReconcilerConfig,
  readLedgerTable,
  readOperationsTable,
  requireLedgerTable,
  readWebhookSecrets,
  type Env,
} from "./config.ts";
import type { OperationsDeps } from "./domain/operations-service.ts";
import type { OutcomeDeps } from "./domain/outcomes.ts";
import type { Clock, Ids } from "./domain/ports.ts";
import type { ReconcilerDeps, ReconcilerPolicy } from "./domain/reconciler.ts";
import type { RequestEventDeps } from "./domain/request-events.ts";

/** The one clock and the one id source. */
export const systemClock: Clock = { now: () => new Date() };
export const randomIds: Ids = { traceId: () => randomUUID() };

const DAY = 24 * 60 * 60;

/**
 * Inside an HTTP function's 28 s: Linq gets 20 s in all, leaving time to write the outcome and answer.
 * 8 s per attempt fits two slow attempts or several quick failures with backoff.
 */
export const HTTP_LINQ_POLICY: RetryPolicy = {
  deadlineMs: 20_000,
  attemptTimeoutMs: 8_000,
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
};

function memo<T>(build: (env: Env) => T): (env?: Env) => T {
  let built: T | undefined;
  return (env = process.env) => (built ??= build(env));
}

const documentClient = memo((env) => {
  const aws = readAwsConfig(env);
  const client = new DynamoDBClient({
    region: aws.region,
    ...(aws.dynamodbEndpoint === undefined ? {} : { endpoint: aws.dynamodbEndpoint }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
});

export const operationStore = memo((env) => {
  const ledgerTableName = readLedgerTable(env);
  return new DynamoOperationStore({
    client: documentClient(env),
    operationsTableName: readOperationsTable(env),
    ...(ledgerTableName === undefined ? {} : { ledgerTableName }),
    recordTtlSeconds: 90 * DAY,
    // Linq retries a delivery for up to about 3 days; a week leaves no window for a late retry to apply twice.
    deliveryTtlSeconds: 7 * DAY,
  });
});

export const idempotencyStore = memo(
  (env) =>
    new DynamoIdempotencyStore({
      client: documentClient(env),
      ledgerTableName: requireLedgerTable(env),
      ttlSeconds: DAY,
      // Longer than the slowest function holding a key (60 s for the event subscribers).
      leaseSeconds: 120,
    }),
);

export const outcomePublisher = memo((env) => {
  const aws = readAwsConfig(env);
  const client = new EventBridgeClient({
    region: aws.region,
    ...(aws.eventBridgeEndpoint === undefined ? {} : { endpoint: aws.eventBridgeEndpoint }),
  });
  return new EventBridgePublisher(client, readEventBusName(env));
});

export const linqClient = memo((env) => {
  const linq = readLinqConfig(env);
  return new LinqClient({ apiKey: linq.apiKey, baseURL: linq.baseURL, policy: HTTP_LINQ_POLICY });
});

export const rejectedRequests = memo((env) => {
  const aws = readAwsConfig(env);
  const client = new SQSClient({
    region: aws.region,
    ...(aws.sqsEndpoint === undefined ? {} : { endpoint: aws.sqsEndpoint }),
  });
  return new SqsRejectedRequests(client, readDeadLetterQueueUrl(env));
});

export const webhookVerifier = memo((env) => new WebhookVerifier({ ...readWebhookSecrets(env), clock: systemClock }));

export function outcomeDeps(env: Env = process.env): OutcomeDeps {
  return { store: operationStore(env), publisher: outcomePublisher(env) };
}

export function operationsDeps(env: Env = process.env): OperationsDeps {
  return {
    ...outcomeDeps(env),
    idempotency: idempotencyStore(env),
    linq: linqClient(env),
    clock: systemClock,
    ids: randomIds,
  };
}

export function requestEventDeps(env: Env = process.env): RequestEventDeps {
  return { ...operationsDeps(env), rejected: rejectedRequests(env) };
}

export function reconcilerDeps(env: Env = process.env): { deps: ReconcilerDeps; policy: ReconcilerPolicy } {
  return {
    deps: { ...outcomeDeps(env), linq: linqClient(env), clock: systemClock },
    policy: readReconcilerConfig(env),
  };
}
