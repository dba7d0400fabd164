/**
 * `npm run dead-letters -- list [--queue request|outcome]` and
 * `npm run dead-letters -- redrive [--queue request|outcome] [--message <id>]… [--include-rejected]`
 *
 * Lists what the dead-letter queues hold, with each message's reason, and sends it through again once the cause is
 * fixed: a request event goes back on the bus (carrying its original id as the idempotency key, so an operation that
 * already reached Linq is carried on, not repeated); an outcome batch is read again from the table's stream by its
 * sequence range and its outcome events published. A message is deleted only after its redrive succeeded. A `rejected`
 * event (malformed, or its key reused) is refused again until a fix is deployed, so a redrive of a whole queue leaves
 * those unless `--include-rejected` is given or `--message` names them.
 * Queue URLs and the bus come from `REQUEST_DLQ_URL`, `OUTCOME_DLQ_URL`, `EVENT_BUS_NAME` (the deploy's outputs); the
 * AWS SDK finds region, credentials and endpoints itself (`AWS_REGION`, `AWS_ENDPOINT_URL_SQS`, …).
 */
import { parseArgs } from "node:util";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { EventBridgePublisher } from "../src/adapters/eventbridge-publisher.ts";
import { SqsDeadLetterQueue, type ReceivedMessage } from "../src/adapters/sqs-dead-letters.ts";
import { readStreamRange } from "../src/adapters/stream-range.ts";
import {
  beyondRetention,
  readDeadLetter,
  redriveEntry,
  STREAM_RETENTION_MS,
  type DeadLetter,
  type RequestEvent,
} from "../src/domain/dead-letters.ts";
import { publishOutcomes } from "../src/domain/outcomes.ts";
import type { Metrics } from "../src/domain/ports.ts";

/** Long enough for a message's redrive to finish before SQS shows it to anyone else. */
const REDRIVE_VISIBILITY_SECONDS = 120;
/** Listing hides each message this long; it is visible again afterwards. */
const LIST_VISIBILITY_SECONDS = 30;

const QUEUES = {
  request: { env: "REQUEST_DLQ_URL", output: "RequestDeadLetterQueueUrl" },
  outcome: { env: "OUTCOME_DLQ_URL", output: "OutcomeDeadLetterQueueUrl" },
} as const;
type QueueName = keyof typeof QUEUES;

export class UsageError extends Error {}

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
}

function required(io: Io, name: string, output: string): string {
  const value = io.env[name]?.trim();
  if (!value) throw new UsageError(`${name} is not set: export the ${output} output of \`npx sst deploy\`.`);
  return value;
}

function describeEvent(event: RequestEvent | undefined): string {
  if (event === undefined) return "no request event the bus could carry";
  const detail =
    typeof event.detail === "object" && event.detail !== null ? (event.detail as Record<string, unknown>) : {};
  // Field names, not values: a detail can hold a participant's phone number or email.
  const fields = Object.keys(detail).filter((key) => key !== "chat_id");
  const chat = typeof detail.chat_id === "string" ? ` chat ${detail.chat_id.slice(0, 64)}` : "";
  return `${event.detailType} from ${event.source}, event ${event.id},${chat} fields: ${fields.join(", ") || "none"}`;
}

function describe(letter: DeadLetter, now: Date): string {
  if (letter.kind === "outcome-batch") {
    const { batch } = letter;
    const until = new Date(Date.parse(batch.firstRecordAt) + STREAM_RETENTION_MS).toISOString();
    const expired = beyondRetention(batch, now);
    return (
      `stream ${batch.shardId} ${batch.startSequenceNumber}..${batch.endSequenceNumber} (${batch.batchSize} records, ` +
      `written ${batch.firstRecordAt}); ${expired === undefined ? `redrivable until ${until}` : "past the stream's 24 h: cannot be redriven"}`
    );
  }
  if (letter.kind === "unreadable") return "kept as it is: nothing to redrive";
  return describeEvent(letter.event);
}

async function list(queue: QueueName, dlq: SqsDeadLetterQueue, io: Io): Promise<void> {
  const messages = await dlq.receiveAll(LIST_VISIBILITY_SECONDS);
  io.out(`${queue}: ${messages.length} message${messages.length === 1 ? "" : "s"} (${dlq.url})`);
  for (const message of messages) {
    const letter = readDeadLetter(message);
    io.out(`  ${message.id}  ${message.sentAt ?? "?"}  ${letter.kind}: ${letter.reason}`);
    io.out(`      ${describe(letter, io.now())}`);
  }
}

interface Redrivers {
  requests: (event: RequestEvent) => Promise<string>;
  outcomes: (letter: Extract<DeadLetter, { kind: "outcome-batch" }>) => Promise<number>;
}

/** What one message's redrive did, or why it is kept. */
async function redriveOne(letter: DeadLetter, redrivers: Redrivers, now: Date): Promise<string> {
  if (letter.kind === "unreadable") throw new Error(`unreadable (${letter.reason})`);
  if (letter.kind === "outcome-batch") {
    const expired = beyondRetention(letter.batch, now);
    if (expired !== undefined) throw new Error(expired);
    const published = await redrivers.outcomes(letter);
    return `${published} outcome event${published === 1 ? "" : "s"} published`;
  }
  if (letter.event === undefined) throw new Error("it holds no request event the bus could carry");
  return `put on the bus again as event ${await redrivers.requests(letter.event)}`;
}

async function redrive(
  queue: QueueName,
  dlq: SqsDeadLetterQueue,
  only: ReadonlySet<string>,
  includeRejected: boolean,
  redrivers: Redrivers,
  io: Io,
): Promise<{ redriven: number; kept: number; left: number; seen: Set<string> }> {
  const messages = (await dlq.receiveAll(REDRIVE_VISIBILITY_SECONDS)).filter(
    (message) => only.size === 0 || only.has(message.id),
  );
  let redriven = 0;
  let left = 0;
  for (const message of messages) {
    const letter = readDeadLetter(message);
    // Named, or asked for, it goes; otherwise it would most likely be refused again and dead-lettered once more.
    if (letter.kind === "rejected" && only.size === 0 && !includeRejected) {
      left++;
      continue;
    }
    let done: string;
    try {
      done = await redriveOne(letter, redrivers, io.now());
    } catch (error) {
      io.err(`  kept ${queue} ${message.id}: ${(error as Error).message}`);
      continue;
    }
    await dlq.delete(message);
    redriven++;
    io.out(`  redriven ${queue} ${message.id}: ${done}`);
  }
  return {
    redriven,
    kept: messages.length - redriven - left,
    left,
    seen: new Set(messages.map((m: ReceivedMessage) => m.id)),
  };
}

/** The command's exit code: 0 done, 2 refused input, 1 a message was kept or AWS failed. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    io.err((error as Error).message);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function run(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        queue: { type: "string" },
        message: { type: "string", multiple: true },
        "include-rejected": { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (command !== "list" && command !== "redrive") {
    throw new UsageError(
      command === undefined ? "Name a command: list or redrive." : `Unknown command "${command}": use list or redrive.`,
    );
  }
  if (extra.length > 0) {
    throw new UsageError(`${command} takes no arguments besides --queue, --message and --include-rejected.`);
  }
  if (values.queue !== undefined && !(values.queue in QUEUES)) {
    throw new UsageError(`--queue must be request or outcome, got "${values.queue}".`);
  }
  if (command === "list" && values.message !== undefined) throw new UsageError("--message is for redrive.");
  if (command === "list" && values["include-rejected"] !== undefined) {
    throw new UsageError("--include-rejected is for redrive.");
  }
  const names = values.queue === undefined ? (Object.keys(QUEUES) as QueueName[]) : [values.queue as QueueName];
  const queues = names.map((name) => {
    const url = required(io, QUEUES[name].env, QUEUES[name].output);
    return { name, dlq: new SqsDeadLetterQueue(new SQSClient({}), url) };
  });

  if (command === "list") {
    for (const { name, dlq } of queues) await list(name, dlq, io);
    return 0;
  }

  const busName = required(io, "EVENT_BUS_NAME", "BusName");
  const bus = new EventBridgeClient({});
  const streams = new DynamoDBStreamsClient({});
  const publisher = new EventBridgePublisher(bus, busName);
  // This runs on an operator's machine, where no metric line reaches CloudWatch: outcomes redriven here go uncounted.
  const uncounted: Metrics = { record: () => {} };
  const redrivers: Redrivers = {
    requests: async (event) => {
      const entry = redriveEntry(event);
      const answer = await bus.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: busName, Source: entry.source, DetailType: entry.detailType, Detail: entry.detail },
          ],
        }),
      );
      const put = answer.Entries?.[0];
      if ((answer.FailedEntryCount ?? 0) > 0 || put?.EventId === undefined) {
        throw new Error(`EventBridge refused it: ${put?.ErrorCode ?? "no answer"}: ${put?.ErrorMessage ?? ""}`);
      }
      return put.EventId;
    },
    outcomes: async ({ batch }) => publishOutcomes(publisher, await readStreamRange(streams, batch), uncounted),
  };

  const only = new Set(values.message ?? []);
  let kept = 0;
  const found = new Set<string>();
  for (const { name, dlq } of queues) {
    const result = await redrive(name, dlq, only, values["include-rejected"] === true, redrivers, io);
    kept += result.kept;
    for (const id of result.seen) found.add(id);
    const left =
      result.left === 0
        ? ""
        : `, ${result.left} rejected left in the queue (name them with --message, or --include-rejected, once fixed)`;
    io.out(`${name}: ${result.redriven} redriven, ${result.kept} kept${left}`);
  }
  const missing = [...only].filter((id) => !found.has(id));
  for (const id of missing) io.err(`  no message ${id} in ${names.join(" or ")}`);
  return kept === 0 && missing.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    now: () => new Date(),
  });
}
