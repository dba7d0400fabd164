/// <reference path="./.sst/platform/config.d.ts" />

export default $config({
  app(input) {
    return {
      name: "linq-chat-ops",
      home: "aws",
      // Every stage keeps its data on `sst remove` (and its tables get deletion protection, stacks/storage.ts) unless
      // its name says it is disposable: a stage nobody thought about, `prod` included, is safe. (SST allows no import
      // here, so the rule lives here, once.)
      removal: /^(dev|ci|test|local)$|^(dev|pr|preview|test)-[a-z0-9-]+$/.test(input?.stage ?? "")
        ? "remove"
        : "retain",
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
    const { createAlarms } = await import("./stacks/alarms.ts");
    const { readLinqPressure } = await import("./src/definitions/limits.ts");
    const { readApiDomain } = await import("./src/definitions/api-domain.ts");

    // Deploy-time settings (LINQ_CONCURRENCY, API_THROTTLE_RATE, API_THROTTLE_BURST, API_DOMAIN,
    // API_DOMAIN_CERT_ARN): a bad value stops the deploy here.
    const pressure = readLinqPressure(process.env);
    const domain = readApiDomain(process.env);

    const tables = createTables();
    const secrets = createSecrets();
    const bus = createBus();
    const requestDeadLetterQueue = createRequestDeadLetterQueue();
    const outcomeDeadLetterQueue = createOutcomeDeadLetterQueue();
    const functions = createFunctions({
      tables,
      secrets,
      bus,
      requestDeadLetterQueue,
      outcomeDeadLetterQueue,
      pressure,
    });
    const api = createApi(functions, pressure, domain);
    subscribeRequestHandlers({ bus, functions, requestDeadLetterQueue });
    scheduleFunctions(functions);
    subscribeStreamHandlers({ tables, functions, outcomeDeadLetterQueue });
    const alarms = createAlarms({ functions, api, requestDeadLetterQueue, outcomeDeadLetterQueue });

    return {
      ApiUrl: api.url,
      BusName: bus.name,
      OperationsTable: tables.operations.name,
      LedgerTable: tables.ledger.name,
      RequestDeadLetterQueueUrl: requestDeadLetterQueue.url,
      OutcomeDeadLetterQueueUrl: outcomeDeadLetterQueue.url,
      // Subscribe the team to it: aws sns subscribe --topic-arn <AlarmTopicArn> --protocol email --notification-endpoint …
      AlarmTopicArn: alarms.arn,
    };
  },
});
