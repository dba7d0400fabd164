import { ledgerTable, operationsTable, type TableDefinition } from "../src/definitions/tables.ts";

export interface Tables {
  readonly operations: sst.aws.Dynamo;
  readonly ledger: sst.aws.Dynamo;
}

/** The tables come from the same definitions DynamoDB Local is created from, so AWS and local cannot drift. */
export function createTables(): Tables {
  return {
    operations: createTable(operationsTable),
    ledger: createTable(ledgerTable),
  };
}

function createTable(definition: TableDefinition): sst.aws.Dynamo {
  return new sst.aws.Dynamo(definition.name, {
    fields: definition.fields,
    primaryIndex: { hashKey: definition.primaryIndex.hashKey, rangeKey: definition.primaryIndex.rangeKey },
    globalIndexes: Object.fromEntries(
      Object.entries(definition.globalIndexes).map(([name, index]) => [
        name,
        {
          hashKey: index.hashKey,
          ...(index.rangeKey === undefined ? {} : { rangeKey: index.rangeKey }),
          projection: index.projection === "keys" ? ("keys-only" as const) : ("all" as const),
        },
      ]),
    ),
    localIndexes: Object.fromEntries(
      Object.entries(definition.localIndexes ?? {}).map(([name, index]) => [
        name,
        { rangeKey: index.rangeKey, projection: "all" as const },
      ]),
    ),
    ...(definition.stream === undefined ? {} : { stream: definition.stream }),
    ttl: definition.ttl,
    // Operation records are the service's memory of what it asked Linq to do; losing the table in production by a
    // mistaken `sst remove` or console click would orphan every pending operation.
    deletionProtection: $app.removal === "retain",
  });
}
