/// <reference path="./.sst/platform/config.d.ts" />

export default $config({
  app(input) {
    return {
      name: "linq-chat-ops",
      home: "aws",
      removal: input?.stage === "production" ? "retain" : "remove",
    };
  },
  async run() {
    // Imported inside run(): the modules use SST's globals (sst, aws, $app), which exist only once run() is called.
    const { createTables } = await import("./stacks/storage.ts");
    const { createSecrets } = await import("./stacks/secrets.ts");
    const { createBus } = await import("./stacks/bus.ts");
    const { createFunctions } = await import("./stacks/functions.ts");
    const { createApi } = await import("./stacks/api.ts");
    const { createRequestDeadLetterQueue, subscribeRequestHandlers } = await import("./stacks/subscriptions.ts");
    const { scheduleFunctions } = await import("./stacks/schedule.ts");
    const { createOutcomeDeadLetterQueue, subscribeStreamHandlers } = await import("./stacks/streams.ts");

    const tables = createTables();
    const secrets = createSecrets();
    const bus = createBus();
    const requestDeadLetterQueue = createRequestDeadLetterQueue();
    const outcomeDeadLetterQueue = createOutcomeDeadLetterQueue();
    const functions = createFunctions({ tables, secrets, bus, requestDeadLetterQueue, outcomeDeadLetterQueue });
    const api = createApi(functions);
    subscribeRequestHandlers({ bus, functions, requestDeadLetterQueue });
    scheduleFunctions(functions);
    subscribeStreamHandlers({ tables, functions, outcomeDeadLetterQueue });

    return {
      ApiUrl: api.url,
      BusName: bus.name,
      OperationsTable: tables.operations.name,
      LedgerTable: tables.ledger.name,
      RequestDeadLetterQueueUrl: requestDeadLetterQueue.url,
      OutcomeDeadLetterQueueUrl: outcomeDeadLetterQueue.url,
    };
  },
});
