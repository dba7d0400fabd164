/**
 * Every Lambda function, what triggers it and what it may touch, defined once. `stacks/` turns this into functions,
 * routes, subscriptions and narrowed IAM; `local/` mounts the same handlers behind the same routes and event patterns.
 *
 * Plain data only: no AWS import.
 */

/**
 * The DynamoDB calls a function's code makes on a table, and so its IAM actions there. Every Query of ours names an
 * index (the table's own key is only ever read with GetItem); every write is a PutItem, alone or in a transaction
 * (IAM authorizes TransactWriteItems per item, through PutItem).
 */
export type TableCall = "GetItem" | "Query" | "PutItem";

export interface FunctionAccess {
  /** The operations table. */
  readonly operations?: readonly TableCall[];
  /** The ledger of idempotency keys: only ever a conditional put, which hands back a taken key without a read. */
  readonly ledger?: readonly ["PutItem"];
  /** events:PutEvents on the project's bus. */
  readonly publish?: boolean;
  /** Reads the operations table's stream. */
  readonly stream?: boolean;
  /** Calls Linq, so it needs the Linq API key, and its concurrency is bounded (see `concurrency`). */
  readonly linq?: boolean;
  /** Verifies Linq's webhook signatures, so it needs the signing secret(s). */
  readonly webhookSecret?: boolean;
  /** Checks the callers' bearer tokens, so it needs the service token(s). */
  readonly serviceTokens?: boolean;
}

export interface HttpRoute {
  readonly method: "GET" | "PUT" | "DELETE" | "POST";
  /** API Gateway's path syntax: `{name}` is a path parameter. */
  readonly path: string;
}

export interface FunctionDefinition {
  /** SST component name. */
  readonly name: string;
  /** Entry point relative to the project root, `file.export` as SST and Lambda spell it. */
  readonly handler: string;
  readonly description: string;
  /** Seconds. HTTP functions stay under API Gateway's 29 s integration limit. */
  readonly timeout: number;
  readonly access: FunctionAccess;
  readonly http?: HttpRoute;
  /** EventBridge detail-type on the project's bus that invokes it. */
  readonly subscribesTo?: string;
  /** EventBridge Scheduler expression. */
  readonly schedule?: string;
  /** Invoked with batches of the operations table's stream. */
  readonly streamOf?: "operations";
  /**
   * Reserved concurrency: how many instances may run at once. `"linq"` takes the deploy's Linq setting
   * (definitions/limits.ts); a number is fixed by what the function is (the reconciler must never overlap itself).
   */
  readonly concurrency?: number | "linq";
}

/**
 * How a scheduled tick reaches its function. The next tick is the retry, so a failed run is not run again; and a tick
 * throttled by a run still going (reserved concurrency 1) is dropped after a minute, Lambda's shortest, rather than
 * waiting in the asynchronous queue (up to 6 h by default) to start the moment that run ends.
 */
export const SCHEDULE_DELIVERY = {
  maximumRetryAttempts: 0,
  maximumEventAgeSeconds: 60,
} as const;

/** Writers of operations: a chat's open items and the backlog by index, a record by key, conditional puts. */
const OPERATIONS_WRITER = ["Query", "GetItem", "PutItem"] as const satisfies readonly TableCall[];

/** Linq's and our own HTTP calls must finish inside API Gateway's 30 s. */
export const HTTP_TIMEOUT_SECONDS = 28;

export const functions = [
  {
    name: "UpdateChat",
    handler: "functions/update-chat.handler",
    description: "PUT /v3/chats/{chatId}: update a chat's display name or icon through Linq and track it",
    timeout: HTTP_TIMEOUT_SECONDS,
    http: { method: "PUT", path: "/v3/chats/{chatId}" },
    access: { operations: OPERATIONS_WRITER, ledger: ["PutItem"], linq: true, serviceTokens: true },
    concurrency: "linq",
  },
  {
    name: "RemoveParticipant",
    handler: "functions/remove-participant.handler",
    description: "DELETE /v3/chats/{chatId}/participants: remove a participant through Linq and track it",
    timeout: HTTP_TIMEOUT_SECONDS,
    http: { method: "DELETE", path: "/v3/chats/{chatId}/participants" },
    access: { operations: OPERATIONS_WRITER, ledger: ["PutItem"], linq: true, serviceTokens: true },
    concurrency: "linq",
  },
  {
    name: "GetChatOperation",
    handler: "functions/get-chat-operation.handler",
    description: "GET /v3/chats/{chatId}/operations/{traceId}: one operation record",
    timeout: 10,
    http: { method: "GET", path: "/v3/chats/{chatId}/operations/{traceId}" },
    access: { operations: ["Query"], serviceTokens: true },
  },
  {
    name: "ListChatOperations",
    handler: "functions/list-chat-operations.handler",
    description: "GET /v3/chats/{chatId}/operations: a chat's operations, newest first",
    timeout: 10,
    http: { method: "GET", path: "/v3/chats/{chatId}/operations" },
    access: { operations: ["Query"], serviceTokens: true },
  },
  {
    name: "GetOperation",
    handler: "functions/get-operation.handler",
    description: "GET /v3/operations/{traceId}: one operation record by trace id alone",
    timeout: 10,
    http: { method: "GET", path: "/v3/operations/{traceId}" },
    // The trace id index holds keys only: the record itself is a GetItem.
    access: { operations: ["Query", "GetItem"], serviceTokens: true },
  },
  {
    name: "LinqWebhook",
    handler: "functions/linq-webhook.handler",
    description: "POST /webhooks/linq: verify Linq's signed deliveries and settle the operations they belong to",
    timeout: 10,
    http: { method: "POST", path: "/webhooks/linq" },
    // A chat's open items, then a conditional put: no read by key.
    access: { operations: ["Query", "PutItem"], webhookSecret: true },
  },
  {
    name: "OnChatUpdateRequested",
    handler: "functions/on-operation-requested.handler",
    description: "chat.update.requested on the bus: the same update as the HTTP route",
    timeout: 60,
    subscribesTo: "chat.update.requested",
    access: { operations: OPERATIONS_WRITER, ledger: ["PutItem"], linq: true },
    concurrency: "linq",
  },
  {
    name: "OnParticipantRemoveRequested",
    handler: "functions/on-operation-requested.handler",
    description: "participant.remove.requested on the bus: the same removal as the HTTP route",
    timeout: 60,
    subscribesTo: "participant.remove.requested",
    access: { operations: OPERATIONS_WRITER, ledger: ["PutItem"], linq: true },
    concurrency: "linq",
  },
  {
    name: "Reconciler",
    handler: "functions/reconcile.handler",
    description: "Settles operations whose outcome never arrived by reading the chat from Linq",
    timeout: 300,
    schedule: "rate(5 minutes)",
    // GetItem and PutItem of its backlog position too (adapters/dynamo-backlog-position.ts).
    access: { operations: OPERATIONS_WRITER, linq: true },
    // One run at a time: a run still going when the next tick fires makes that tick a throttle, not a second reader
    // of the same backlog (the next run resumes where this one stopped).
    concurrency: 1,
  },
  {
    name: "PublishOutcomes",
    handler: "functions/publish-outcomes.handler",
    description: "Puts operation.succeeded / operation.failed on the bus for each record the stream shows settling",
    timeout: 60,
    streamOf: "operations",
    access: { stream: true, publish: true },
  },
] as const satisfies readonly FunctionDefinition[];

export type FunctionName = (typeof functions)[number]["name"];

/**
 * The environment variables a function is given, from its access flags alone: `stacks/` sets exactly these, and a test
 * loads every handler with exactly these, so a handler that reads more fails in CI, not at its first cold start in AWS.
 * Secrets are not among them: they are linked (see `secretNames`).
 */
export type EnvironmentName = "OPERATIONS_TABLE" | "LEDGER_TABLE" | "EVENT_BUS_NAME" | "REQUEST_DLQ_URL";

export function environmentNames(definition: FunctionDefinition): EnvironmentName[] {
  const { access } = definition;
  const names: EnvironmentName[] = [];
  if (access.operations) names.push("OPERATIONS_TABLE");
  if (access.ledger) names.push("LEDGER_TABLE");
  if (access.publish) names.push("EVENT_BUS_NAME");
  // Malformed request events go straight to the dead-letter queue, with the reason.
  if (definition.subscribesTo) names.push("REQUEST_DLQ_URL");
  return names;
}

/** The secrets, by their SST names (`sst secret set <name>`, `Resource.<name>.value`). */
export const SECRET_NAMES = ["LinqApiKey", "LinqWebhookSecret", "LinqLegacyWebhookSecret", "ServiceTokens"] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** The secrets a function is linked to, from its access flags alone, as its environment is. */
export function secretNames(definition: FunctionDefinition): SecretName[] {
  const { access } = definition;
  const names: SecretName[] = [];
  if (access.linq) names.push("LinqApiKey");
  if (access.webhookSecret) names.push("LinqWebhookSecret", "LinqLegacyWebhookSecret");
  if (access.serviceTokens) names.push("ServiceTokens");
  return names;
}
