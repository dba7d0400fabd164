import {
  environmentNames,
  functions as definitions,
  secretNames,
  type EnvironmentName,
  type FunctionDefinition,
} from "../src/definitions/functions.ts";
import { reservedConcurrency, type LinqPressure } from "../src/definitions/limits.ts";
import { METRICS_NAMESPACE, serviceName } from "../src/definitions/metrics.ts";
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
  /** The deploy's limits on calls to Linq (src/definitions/limits.ts). */
  readonly pressure: LinqPressure;
}

type Permission = sst.aws.FunctionPermissionArgs;

/** What Lambda's event source mapping does on the function's behalf to read a table's stream. */
const STREAM_ACTIONS = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
  "dynamodb:ListStreams",
];

const TABLE_KEYS = ["operations", "ledger"] as const satisfies readonly (keyof Tables)[];

/** As long as an operation record is kept (90 days), so a record's log lines can be read as long as it can. */
const LOG_RETENTION = "3 months";

/** What active tracing needs to send its segments to X-Ray. */
const TRACING_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

export function createFunctions(deps: FunctionDependencies): BuiltFunction[] {
  return definitions.map((definition) => ({ definition, fn: createFunction(definition, deps) }));
}

/**
 * Every function is built here, from its definition alone. Only secrets are `link`ed, the ones its access flags name:
 * a linked secret reaches the code encrypted in the bundle (read with `Resource`, src/config.ts) instead of as a plain
 * environment variable, and grants no IAM action. Tables and the bus are not linked, because linking grants
 * `dynamodb:*` on a table and `events:*` on a bus, while the access flags say exactly what each function may do.
 */
function createFunction(definition: FunctionDefinition, deps: FunctionDependencies): sst.aws.Function {
  const reserved = reservedConcurrency(definition, deps.pressure);
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
    link: secretNames(definition).map((name) => deps.secrets[name]),
    permissions: permissionsFor(definition, deps),
    // The reconciler never overlaps itself; a function calling Linq for a request runs at most the deploy's limit.
    ...(reserved === undefined ? {} : { concurrency: { reserved } }),
    // Lambda's own lines (START, REPORT, errors) as JSON too, so one query reads them beside ours.
    logging: { format: "json", retention: LOG_RETENTION },
    transform: { function: { tracingConfig: { mode: "Active" } } },
    // No source maps (no `nodejs` sourcemap option, no source-map flag in NODE_OPTIONS): SST then keeps the maps out
    // of the zip, and no cold start parses one (issue 12: ×1.16 import and +15 MiB RSS with them).
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
    REQUEST_DLQ_URL: deps.requestDeadLetterQueue.url,
  };
  return {
    // Powertools: the `service` of every log line and metric, and the metrics' namespace (src/definitions/metrics.ts).
    POWERTOOLS_SERVICE_NAME: serviceName($app.stage),
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    ...Object.fromEntries(environmentNames(definition).map((name) => [name, values[name]])),
  };
}

function permissionsFor(definition: FunctionDefinition, deps: FunctionDependencies): Permission[] {
  const { access } = definition;
  const permissions: Permission[] = [{ actions: TRACING_ACTIONS, resources: ["*"] }];
  for (const key of TABLE_KEYS) {
    const calls = access[key] ?? [];
    const table = deps.tables[key];
    // Only what the code calls (see TableCall): items by key on the table, queries on its indexes, which are IAM
    // resources of their own.
    const onItems = calls.filter((call) => call !== "Query").map((call) => `dynamodb:${call}`);
    if (onItems.length > 0) permissions.push({ actions: onItems, resources: [table.arn] });
    if (calls.includes("Query")) {
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
