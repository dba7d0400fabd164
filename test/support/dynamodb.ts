/** Tables of their own in the shared DynamoDB Local, for tests of the DynamoDB adapters. */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { inject } from "vitest";
import { createTable, LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/dynamodb.ts";
import { ledgerTable, operationsTable } from "../../src/definitions/tables.ts";

export async function freshTables(): Promise<{
  client: DynamoDBDocumentClient;
  raw: DynamoDBClient;
  operations: string;
  ledger: string;
}> {
  const raw = new DynamoDBClient({
    endpoint: inject("dynamodbEndpoint"),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const operations = `${prefix}-${operationsTable.name}`;
  const ledger = `${prefix}-${ledgerTable.name}`;
  await createTable(raw, operationsTable, operations);
  await createTable(raw, ledgerTable, ledger);
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { client, raw, operations, ledger };
}
