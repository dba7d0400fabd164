/**
 * The whole service on one machine: DynamoDB Local with the tables of `stacks/`, the Linq sandbox (or the real Linq),
 * the local event bus, and every handler behind the same routes and event patterns as in AWS. `npm start` runs it;
 * the end-to-end tests start it in-process on free ports.
 *
 * The sandbox runs in a worker thread (local/sandbox/thread.ts), as Linq runs on other machines: its answers and
 * webhooks neither wait on the service's event loop nor slow it, and `npm start`, the tests and the bench all run it
 * this one way, still calling `stack.sandbox` like an object in the process.
 *
 * The handlers are the deployed modules themselves: they read their configuration from the environment at import,
 * exactly as in Lambda, so this sets the environment first and imports them after.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { linkedSecretsEnvironment, splitList } from "../src/config.ts";
import { requestPattern } from "../src/definitions/events.ts";
import { functions, type FunctionDefinition, type FunctionName } from "../src/definitions/functions.ts";
import { ledgerTable, operationsTable } from "../src/definitions/tables.ts";
import { startLocalBus, type BusEvent, type LocalBus, type Subscription } from "./bus/index.ts";
import { createTable, LOCAL_CREDENTIALS, LOCAL_REGION, startDynamoDbLocal, type DynamoDbLocal } from "./dynamodb.ts";
import { createHttpAdapter, lambdaContext, type HttpHandler } from "./http-adapter.ts";
import { close, listen } from "./http.ts";
import { lambdaRuntime } from "./lambda-runtime.ts";
import { pollStream, type StreamPoller } from "./streams.ts";
import { LOCAL_WEBHOOK_SECRET, type Sandbox, type SandboxOptions } from "./sandbox/index.ts";
import { startSandboxThread } from "./sandbox/thread.ts";

export const DEFAULT_API_TOKEN = "local-dev-token";
export const LOCAL_BUS_NAME = "linq-chat-ops-local";
const LOCAL_DLQ_NAME = "RequestDeadLetters";

export interface LocalStackOptions {
  /** 0 picks free ports. */
  port: number;
  sandboxPort: number;
  busPort: number;
  /** An already running DynamoDB (Local) to use instead of starting one; tables get `tablePrefix`. */
  dynamodbEndpoint?: string;
  tablePrefix?: string;
  apiToken?: string;
  /** `LINQ_WEBHOOK_SECRET`: one or more (comma-separated) `whsec_` secrets. */
  webhookSecret?: string;
  /** The real Linq instead of the sandbox (`LINQ_API_V3_API_KEY` and optionally `LINQ_API_V3_BASE_URL`). */
  realLinq?: { apiKey: string; baseURL?: string };
  /** Faults and delays of the sandbox. */
  sandbox?: Omit<SandboxOptions, "port" | "webhookTargets">;
  /** How often the reconciler runs; 0 never (tests call `reconcileNow`). */
  reconcileEveryMs: number;
  /** The reconciler's deadlines, as `RECONCILE_*` seconds. */
  reconcilerEnv?: Record<string, string>;
  /** The local bus's waits before retries of a failed delivery. */
  busRetryDelaysMs?: number[];
  /** How many of the latest events the bus lists; default all. */
  busKeepEvents?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  apiToken: string;
  sandbox: Sandbox | undefined;
  bus: LocalBus;
  dynamodbEndpoint: string;
  tables: { operations: string; ledger: string };
  reconcileNow(): Promise<unknown>;
  /** Resolves once every record change so far has reached the outcome publisher. */
  published(): Promise<void>;
  stop(): Promise<void>;
}

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => {});
  };
  try {
    let dynamo: DynamoDbLocal | undefined;
    if (options.dynamodbEndpoint === undefined) {
      dynamo = await startDynamoDbLocal();
      stoppers.push(() => dynamo!.stop());
      log(`DynamoDB Local at ${dynamo.endpoint}`);
    }
    const dynamodbEndpoint = options.dynamodbEndpoint ?? dynamo!.endpoint;
    const prefix = options.tablePrefix ?? "";
    const tables = { operations: `${prefix}${operationsTable.name}`, ledger: `${prefix}${ledgerTable.name}` };
    const client = new DynamoDBClient({
      endpoint: dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const operationsWere = await createTable(client, operationsTable, tables.operations);
    await createTable(client, ledgerTable, tables.ledger);
    stoppers.push(async () => client.destroy());

    const apiToken = options.apiToken ?? DEFAULT_API_TOKEN;
    const webhookSecret = options.webhookSecret ?? LOCAL_WEBHOOK_SECRET;
    // During a rotation the secret is a comma-separated list ("old,new"): the handler accepts each of them, and the
    // sandbox, like Linq, signs with one, the newest (the last).
    const signingSecret = splitList(webhookSecret).at(-1)!;

    // The API server listens before the sandbox starts, so the sandbox's first webhook finds it.
    const { server: api, mount } = createHttpAdapter(log);
    const url = await listen(api, options.port);
    stoppers.push(() => close(api));

    let sandbox: Sandbox | undefined;
    if (options.realLinq === undefined) {
      sandbox = await startSandboxThread({
        ...options.sandbox,
        port: options.sandboxPort,
        webhookTargets: [{ url: `${url}/webhooks/linq`, secret: signingSecret }],
        log: (line) => log(`sandbox: ${line}`),
      });
      stoppers.push(() => sandbox!.stop());
    }

    const handlers = new Map<string, { handler: Handler; timeout: number }>();
    const invoke = (name: string, event: unknown) => {
      const { handler, timeout } = handlers.get(name)!;
      return handler(event, lambdaContext(name, timeout));
    };
    const bus = await startLocalBus({
      port: options.busPort,
      busName: LOCAL_BUS_NAME,
      subscriptions: functionSubscriptions(async (name, event) => {
        await invoke(name, event);
      }),
      ...(options.busRetryDelaysMs === undefined ? {} : { retryDelaysMs: options.busRetryDelaysMs }),
      ...(options.busKeepEvents === undefined ? {} : { keepEvents: options.busKeepEvents }),
      log: (line) => log(`bus: ${line}`),
    });
    stoppers.push(() => bus.stop());

    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      // The AWS SDK (and the AWS CLI) read their endpoints from these by themselves.
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
      AWS_ENDPOINT_URL_SQS: bus.url,
      OPERATIONS_TABLE: tables.operations,
      LEDGER_TABLE: tables.ledger,
      EVENT_BUS_NAME: LOCAL_BUS_NAME,
      REQUEST_DLQ_URL: `${bus.url}/000000000000/${LOCAL_DLQ_NAME}`,
      LINQ_API_V3_BASE_URL: options.realLinq?.baseURL ?? sandbox?.url ?? "",
      // The secrets, where SST's Resource reads linked ones outside Lambda (src/config.ts).
      ...linkedSecretsEnvironment({
        LinqApiKey: options.realLinq?.apiKey ?? "sandbox-key",
        LinqWebhookSecret: webhookSecret,
        LinqLegacyWebhookSecret: process.env.LINQ_LEGACY_WEBHOOK_SECRET ?? "",
        ServiceTokens: apiToken,
      }),
      ...options.reconcilerEnv,
    });

    const scoped = lambdaRuntime();
    const streams: StreamPoller[] = [];
    for (const definition of functions as readonly FunctionDefinition[]) {
      const handler = scoped(await importHandler(definition));
      handlers.set(definition.name, { handler, timeout: definition.timeout });
      if (definition.http !== undefined)
        mount({ ...definition, http: definition.http, handler: handler as HttpHandler });
      if (definition.streamOf !== "operations") continue;
      const stream = await pollStream({
        endpoint: dynamodbEndpoint,
        client,
        tableName: tables.operations,
        fromNow: operationsWere === "existed",
        deliver: async (event) => {
          await invoke(definition.name, event);
        },
        log: (line) => log(`stream: ${line}`),
      });
      stoppers.push(() => stream.stop());
      streams.push(stream);
    }
    const published = async () => {
      await Promise.all(streams.map((stream) => stream.drained()));
    };

    const reconcileNow = () => invoke("Reconciler", {});
    if (options.reconcileEveryMs > 0) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        reconcileNow()
          .catch((error: unknown) => log(`reconciler failed: ${String(error)}`))
          .finally(() => (running = false));
      }, options.reconcileEveryMs);
      stoppers.push(async () => clearInterval(timer));
    }

    return { url, apiToken, sandbox, bus, dynamodbEndpoint, tables, reconcileNow, published, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The bus's subscribers are the functions `stacks/` subscribes, under the same patterns (`requestPattern`), so a route
 * that works here is the route deployed; `invoke` runs the named function's handler.
 */
export function functionSubscriptions(
  invoke: (functionName: FunctionName, event: BusEvent) => Promise<void>,
): Subscription[] {
  return functions.flatMap((definition) =>
    "subscribesTo" in definition
      ? [
          {
            name: definition.name,
            pattern: requestPattern(definition.subscribesTo),
            deliver: (event: BusEvent) => invoke(definition.name, event),
          },
        ]
      : [],
  );
}

async function importHandler(definition: FunctionDefinition): Promise<Handler> {
  const dot = definition.handler.lastIndexOf(".");
  const file = definition.handler.slice(0, dot);
  const exported = definition.handler.slice(dot + 1);
  const module = (await import(new URL(`../${file}.ts`, import.meta.url).href)) as Record<string, unknown>;
  const handler = module[exported];
  if (typeof handler !== "function") throw new Error(`${definition.handler} exports no handler`);
  return handler as Handler;
}
