/**
 * One DynamoDB Local for the whole run: a JVM takes seconds to start, so test files share it and keep apart by
 * creating their own tables under a unique prefix.
 */
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal, type DynamoDbLocal } from "../../local/dynamodb.ts";

let dynamo: DynamoDbLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  dynamo = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}
