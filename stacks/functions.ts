import {
  environmentNames,
  functions as definitions,
  type EnvironmentName,
  type FunctionDefinition,
  type TableAccess,
} from "../src/definitions/functions.ts";
import { ledgerTable, operationsTable, type TableDefinition } from "../src/definitions/tables.ts";
import type { Secrets } from "./secrets.ts";
import type { Tables } from "./storage.ts";

export type Definition = (typeof definitions)[number];

export interface BuiltFunction {
  /** The literal definition, so routes, detail-types and schedules keep their exact types downstream. */
  readonly definition: Definition;
  readonly fn: sst.aws.Function;
}

export interface FunctionDependencies {
  readonly tables: Tables;
  readonly secrets: Secrets;
  readonly bus: sst.aws.Bus;
  /** Where Lambda's on-failure destination sends a request event that exhausted its retries. */
  readonly requestDeadLetterQueue: sst.aws.Queue;
  /** Where a batch of the operations stream goes when its outcomes cannot be published. */
  readonly outcomeDeadLetterQueue: sst.aws.Queue;
}

type Permission = sst.aws.FunctionPermissionArgs;

/**
 * Only what the code does: every read has a key or an index (no Scan), and every write is a conditional PutItem,
 * alone or in a transaction (IAM authorizes TransactWriteItems per item, through PutItem).
 */
const TABLE_ACTIONS: Record<TableAccess, string[]> = {
  read: ["dynamodb:GetItem", "dynamodb:Query"],
  write: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
};

/** What Lambda's event source mapping does on the function's behalf to read a table's stream. */
const STREAM_ACTIONS = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
  "dynamodb:ListStreams",
];

const TABLES = {
  operations: operationsTable,
  ledger: ledgerTable,
} as const satisfies Record<keyof Tables, TableDefinition>;

const TABLE_KEYS = ["operations", "ledger"] as const satisfies readonly (keyof Tables)[];

export function createFunctions(deps: FunctionDependencies): BuiltFunction[] {
  return definitions.map((definition) => ({ definition, fn: createFunction(definition, deps) }));
}

/**
 * Every function is built here, from its definition alone. Nothing is `link`ed: SST's link grants `dynamodb:*` on a
 * table and `events:*` on a bus, while the access flags say exactly what each function may do.
 */
function createFunction(definition: FunctionDefinition, deps: FunctionDependencies): sst.aws.Function {
  return new sst.aws.Function(definition.name, {
    handler: definition.handler,
    description: definition.description,
    runtime: "nodejs24.x",
    architecture: "arm64",
    // I/O bound (Linq, DynamoDB, EventBridge); 512 MB keeps cold starts short without paying for idle CPU.
    memory: "512 MB",
    // HTTP functions stop at 28 s: past API Gateway's 30 s limit the caller gets the gateway's own error instead of
    // Linq's envelope, while the operation may still have gone through.
    timeout: `${definition.timeout} seconds`,
    environment: environmentFor(definition, deps),
    permissions: permissionsFor(definition, deps),
    // No `nodejs.sourcemap` and no --enable-source-maps: SST then keeps the maps out of the zip, and no cold start
    // parses one (issue 12: ×1.16 import and +15 MiB RSS with them).
  });
}

/** Only what the access flags call for, so a function cannot even name a resource it has no business with. */
function environmentFor(
  definition: FunctionDefinition,
  deps: FunctionDependencies,
): Record<string, $util.Input<string>> {
  const values: Record<EnvironmentName, $util.Input<string>> = {
    OPERATIONS_TABLE: deps.tables.operations.name,
    LEDGER_TABLE: deps.tables.ledger.name,
    EVENT_BUS_NAME: deps.bus.name,
    LINQ_API_V3_API_KEY: deps.secrets.linqApiKey.value,
    LINQ_WEBHOOK_SECRET: deps.secrets.linqWebhookSecret.value,
    LINQ_LEGACY_WEBHOOK_SECRET: deps.secrets.linqLegacyWebhookSecret.value,
    API_TOKEN: deps.secrets.serviceTokens.value,
    REQUEST_DLQ_URL: deps.requestDeadLetterQueue.url,
  };
  return Object.fromEntries(environmentNames(definition).map((name) => [name, values[name]]));
}

function permissionsFor(definition: FunctionDefinition, deps: FunctionDependencies): Permission[] {
  const { access } = definition;
  const permissions: Permission[] = [];
  for (const key of TABLE_KEYS) {
    const level = access[key];
    if (!level) continue;
    const table = deps.tables[key];
    permissions.push({ actions: TABLE_ACTIONS[level], resources: [table.arn] });
    // Indexes are separate IAM resources; only Query reaches them.
    const definition = TABLES[key] as TableDefinition;
    if (Object.keys(definition.globalIndexes).length + Object.keys(definition.localIndexes ?? {}).length > 0) {
      permissions.push({ actions: ["dynamodb:Query"], resources: [$interpolate`${table.arn}/index/*`] });
    }
  }
  if (access.publish) permissions.push({ actions: ["events:PutEvents"], resources: [deps.bus.arn] });
  if (access.stream) {
    permissions.push({ actions: STREAM_ACTIONS, resources: [deps.tables.operations.nodes.table.streamArn] });
    // A stream's on-failure destination sends as the function's role.
    permissions.push({ actions: ["sqs:SendMessage"], resources: [deps.outcomeDeadLetterQueue.arn] });
  }
  if (definition.subscribesTo) {
    // Lambda's on-failure destination sends as the function's own role, not as a service principal.
    permissions.push({ actions: ["sqs:SendMessage"], resources: [deps.requestDeadLetterQueue.arn] });
  }
  return permissions;
}
