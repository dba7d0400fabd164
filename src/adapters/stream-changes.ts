/**
 * The operations table's stream, read into record changes. Kept events and the reconciler's backlog position share
 * the table and are not records; their changes are left out.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBStreamEvent } from "aws-lambda";
import type { StoredOperation } from "../domain/operation.ts";
import type { RecordChange } from "../domain/outcomes.ts";
import { fromItem, isOperationItem } from "./operation-items.ts";

type Image = Record<string, AttributeValue> | undefined;

export function recordChanges(event: DynamoDBStreamEvent): RecordChange[] {
  return event.Records.flatMap((streamRecord) => {
    const before = toRecord(streamRecord.dynamodb?.OldImage as Image);
    const after = toRecord(streamRecord.dynamodb?.NewImage as Image);
    return before === undefined && after === undefined ? [] : [{ before, after }];
  });
}

function toRecord(image: Image): StoredOperation | undefined {
  if (image === undefined) return undefined;
  const item = unmarshall(image);
  return isOperationItem(item) ? (fromItem(item) as StoredOperation) : undefined;
}
