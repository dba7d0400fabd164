/**
 * The chaos engine behind `npm run chaos` and test/e2e/chaos.test.ts: one seeded run of the whole local stack in one
 * sandbox world, built to make chats contended, then every operation judged against the sandbox's ground truth.
 *
 * - Workload: many group chats, each receiving waves of 2–4 operations in flight at once (renames, icons, both,
 *   removals, Linq's magic failures), about 15% of them through EventBridge, and between waves people acting on their
 *   phones. Every requested name and icon is unique in the run, and no handle is removed twice in one chat, so a
 *   request's content names it at Linq as surely as its idempotency key does.
 * - Faults: Linq fails calls before and after doing the work, duplicates, reorders, delays and (optionally) drops its
 *   webhooks; the reconciler runs during the workload too, as its schedule would.
 * - Judgement: an operation is one idempotency key. What really happened to it is what Linq did for the calls it made
 *   (`linq_attempts[].trace_id` looked up in `truth().traces`); it succeeded iff every requested part was applied.
 *
 * The workload draws from its own generator, never the sandbox's, so the sandbox's faults replay for the same seed.
 * Handlers are module singletons configured from the environment (as in Lambda): one run per process, or per
 * `vi.resetModules()` in a test.
 */
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { mulberry32, type Random } from "../../local/sandbox/faults.ts";
import type { ChangedBy, IconMode, RemovedHandles, TraceLink } from "../../local/sandbox/config.ts";
import type { JudgedOperation, SandboxTruth } from "../../local/sandbox/truth.ts";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/dynamodb.ts";
import { LOCAL_BUS_NAME, startLocalStack, type LocalStack } from "../../local/stack.ts";
import type { KeptEvent } from "../../src/domain/kept-event.ts";
import { SERVICE_EVENT_SOURCE } from "../../src/definitions/events.ts";
import type { OperationRecord, Part } from "../../src/domain/operation.ts";

/** Linq's unknowns, as the sandbox plays them (local/sandbox/README.md). */
export interface World {
  traceLink: TraceLink;
  iconMode: IconMode;
  changedBy: ChangedBy;
  removedHandles: RemovedHandles;
  /** How long a new chat answers changes with 409/2009. */
  creatingMs: number;
}

const LIKELIEST: World = {
  traceLink: "request",
  iconMode: "echo",
  changedBy: "line",
  removedHandles: "listed",
  creatingMs: 0,
};

export const WORLDS = {
  default: LIKELIEST,
  "trace-own": { ...LIKELIEST, traceLink: "own" },
  "icon-rehost": { ...LIKELIEST, iconMode: "rehost" },
  "changed-by-null": { ...LIKELIEST, changedBy: "null" },
  "changed-by-absent": { ...LIKELIEST, changedBy: "absent" },
  "removed-dropped": { ...LIKELIEST, removedHandles: "dropped" },
  /** Every unknown at its least helpful: no trace link, hosted icons, nobody named, removed handles gone. */
  hardest: { ...LIKELIEST, traceLink: "own", iconMode: "rehost", changedBy: "absent", removedHandles: "dropped" },
} satisfies Record<string, World>;

export type WorldName = keyof typeof WORLDS;

export interface ChaosOptions {
  seed: number;
  /** Requests in the run (one operation each). */
  ops: number;
  world: WorldName;
  /** Fraction of webhooks Linq never sends. */
  dropRate: number;
  /** An already running DynamoDB (Local); the run starts its own otherwise. */
  dynamodbEndpoint?: string;
  /** Chats driven at once. */
  concurrency?: number;
  /** Where wrong operations are described (at most `maxReported`). */
  report?: (line: string) => void;
  maxReported?: number;
}

/** What the run shows the faults did: a run is only worth something if each of them fired. */
export interface FaultsFired {
  failedBefore: number;
  failedAfter: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  humanChanges: number;
  viaEventBridge: number;
  /** Removals Linq refused because fewer than 3 participants would remain (409/2013). */
  refused2013: number;
}

export interface ChaosReport {
  world: WorldName;
  dropRate: number;
  seed: number;
  requests: number;
  /** Requests that came to exactly one operation (the records found per chat, and what each caller was told). */
  operations: number;
  /** What broke "one operation per key", one line each. */
  keyProblems: string[];
  provenWrong: number;
  /** Operations whose outcome rests on an inferred part, and how many of those are wrong. */
  inferred: number;
  inferredWrong: number;
  /**
   * Of the inferred wrong, those the service itself declared undecidable: several operations could own the deciding
   * event and nothing Linq sent said which (`matched_by: "deadline"`). Allowed without drops; a finding of the world.
   */
  undecidable: number;
  /** The longest a webhook took from its creation to its 2xx delivery: the fail-after deadline must exceed it. */
  horizonMs: number;
  /** Operations Linq carried out more than once (our retry after an ambiguous 5xx): reported, no target. */
  duplicateSideEffects: number;
  /** Calls Linq accepted that no operation's `linq_attempts` names: reported, no target. */
  unrecordedCalls: number;
  eventsMissing: number;
  eventsDuplicate: number;
  pending: number;
  faults: FaultsFired;
  seconds: number;
  /** Every target missed, in words; empty when the run passes. */
  misses: string[];
}

// Linq's magic values (local/sandbox/README.md).
const FAIL_NAME = "fail:";
const FAIL_ICON = "/fail";
const LOST = "0000";
/** Linq refuses a removal that would leave fewer than this many active participants (409/2013). */
const MIN_GROUP = 3;
const HTTP_ATTEMPTS = 5;
/**
 * Past the sandbox's delivery horizon (delay + reorder window + retries ≈ 1.5 s, more with the whole stack busy in one
 * process; every run reports the longest it saw), so a deadline only meets silence.
 */
const FAIL_AFTER_SECONDS = 12;
const SETTLE_LIMIT_MS = 60_000;

type UpdateBody = { display_name?: string; group_chat_icon?: string };
type Request = { key: string; chatId: string; via: "http" | "eventbridge"; putTwice: boolean } & (
  { kind: "chat.update"; body: UpdateBody } | { kind: "participant.remove"; body: { handle: string } }
);
type PersonAct = { act: "rename"; name: string } | { act: "icon" } | { act: "re-add"; handles: string[] };
interface Wave {
  requests: Request[];
  people: PersonAct[];
}
interface ChatPlan {
  chatId: string;
  waves: Wave[];
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const world = WORLDS[options.world];
  // Independent of the sandbox's generator, which is seeded with `seed` itself.
  const random = mulberry32(options.seed ^ 0x5eed_c4a0);
  const delayMs = 20 + Math.floor(random() * 61);
  const stack = await startLocalStack({
    port: 0,
    sandboxPort: 0,
    busPort: 0,
    ...(options.dynamodbEndpoint === undefined ? {} : { dynamodbEndpoint: options.dynamodbEndpoint }),
    tablePrefix: `chaos${options.seed}-${Date.now().toString(36)}-`,
    reconcileEveryMs: 0,
    busRetryDelaysMs: [50, 100],
    sandbox: {
      seed: options.seed,
      failRate: 0.1,
      failMode: "either",
      duplicateRate: 0.2,
      reorder: 0.2,
      dropRate: options.dropRate,
      delayMs,
      retryScheduleMs: [50, 100, 200],
      ...world,
    },
    reconcilerEnv: { RECONCILE_AFTER_SECONDS: "0", RECONCILE_FAIL_AFTER_SECONDS: String(FAIL_AFTER_SECONDS) },
  });
  try {
    const plans = planChats(stack, random, options.seed, options.ops);
    // The trace ids each HTTP caller was told, by idempotency key.
    const told = new Map<string, string[]>();
    await drive(stack, plans, told, options.concurrency ?? 6);
    await settle(stack, plans);
    const records = await readRecords(stack, plans);
    const kept = await readKeptEvents(stack, plans);
    return judge(options, stack, plans, told, records, kept, (Date.now() - started) / 1000);
  } finally {
    await stack.stop();
  }
}

/**
 * Chats and what will happen to them, all drawn up front so the workload replays. Each chat: our line, 3–4 people who
 * may be removed, and one handle ending 0000 whose removal Linq accepts and never carries out.
 */
function planChats(stack: LocalStack, random: Random, seed: number, total: number): ChatPlan[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  let serial = 0;
  const unique = () => `${seed}-${++serial}`;
  const plans: ChatPlan[] = [];
  let left = total;
  while (left > 0) {
    const index = plans.length;
    const chatTag = String(index).padStart(4, "0");
    const people = Array.from({ length: 3 + Math.floor(random() * 2) }, (_, i) => `+1555${chatTag}${i + 1}21`);
    const lost = `+1555${String(index % 1000).padStart(3, "0")}${LOST}`;
    const chatId = stack.sandbox!.seedChat({ handles: ["+15550000001", ...people, lost] }).id;
    // Assuming every removal we ask for happens keeps the group at 3 or more whatever really happens.
    let activeIfAllRemoved = 1 + people.length + 1;
    const removable = [...people];
    let lostAsked = false;
    const removed: string[] = [];
    const waves: Wave[] = [];
    const waveCount = 3 + Math.floor(random() * 3);
    for (let w = 0; w < waveCount && left > 0; w++) {
      const requests: Request[] = [];
      const size = Math.min(left, 2 + Math.floor(random() * 3));
      for (let r = 0; r < size; r++) {
        const via = random() < 0.15 ? "eventbridge" : "http";
        const base = {
          key: `chaos-${unique()}`,
          chatId,
          via,
          putTwice: via === "eventbridge" && random() < 0.2,
        } as const;
        const roll = random();
        let handle: string | undefined;
        if (roll >= 0.7) {
          if (!lostAsked && random() < 0.3) {
            lostAsked = true;
            handle = lost;
          } else if (removable.length > 0 && (activeIfAllRemoved - 1 >= MIN_GROUP || random() < 0.25)) {
            // Now and then one past the floor: unless an earlier removal failed, Linq refuses it (409/2013) or never
            // carries it out.
            handle = removable.splice(Math.floor(random() * removable.length), 1)[0]!;
            activeIfAllRemoved--;
            removed.push(handle);
          }
        }
        if (handle !== undefined) {
          requests.push({ ...base, kind: "participant.remove", body: { handle } });
          continue;
        }
        const name = () => (random() < 0.15 ? `${FAIL_NAME}name ${unique()}` : `Name ${unique()}`);
        const icon = () =>
          random() < 0.15
            ? `https://icons.example.com${FAIL_ICON}/${unique()}.png`
            : `https://icons.example.com/${unique()}.png`;
        const body: UpdateBody =
          roll < 0.3
            ? { display_name: name() }
            : roll < 0.55
              ? { group_chat_icon: icon() }
              : { display_name: name(), group_chat_icon: icon() };
        requests.push({ ...base, kind: "chat.update", body });
      }
      left -= requests.length;
      const people: PersonAct[] = [];
      if (random() < 0.6) {
        const act = pick(["rename", "icon", "re-add"] as const);
        if (act === "re-add" && removed.length > 0) people.push({ act, handles: [...removed] });
        else if (act === "icon") people.push({ act });
        else people.push({ act: "rename", name: `Phone ${unique()}` });
      }
      waves.push({ requests, people });
    }
    plans.push({ chatId, waves });
  }
  return plans;
}

/** Chats in parallel, each wave's requests in flight at once, people acting between waves. */
async function drive(stack: LocalStack, plans: ChatPlan[], told: Map<string, string[]>, concurrency: number) {
  const bus = new EventBridgeClient({
    endpoint: stack.bus.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  // The reconciler's schedule keeps running while requests and webhooks are in flight.
  let driving = true;
  const reconciling = (async () => {
    while (driving) {
      await stack.reconcileNow().catch(() => {});
      await sleep(1_000);
    }
  })();
  const queue = [...plans];
  const worker = async () => {
    for (let plan = queue.shift(); plan !== undefined; plan = queue.shift()) {
      for (const wave of plan.waves) {
        await Promise.all(
          wave.requests.map(async (request, i) => {
            await sleep(i * 7);
            if (request.via === "http") told.set(request.key, await callOverHttp(stack, request));
            else await putOnBus(bus, request);
          }),
        );
        for (const act of wave.people) actOnPhone(stack, plan.chatId, act);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    driving = false;
    await reconciling;
    bus.destroy();
  }
}

/** A well-behaved client: one Idempotency-Key, retried on 5xx, 429 and a 409 that says to, after its retry-after. */
async function callOverHttp(stack: LocalStack, request: Request): Promise<string[]> {
  const told: string[] = [];
  const path =
    request.kind === "chat.update" ? `/v3/chats/${request.chatId}` : `/v3/chats/${request.chatId}/participants`;
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${stack.url}${path}`, {
      method: request.kind === "chat.update" ? "PUT" : "DELETE",
      headers: {
        authorization: `Bearer ${stack.apiToken}`,
        "content-type": "application/json",
        "idempotency-key": request.key,
      },
      body: JSON.stringify(request.body),
    });
    const body = (await response.json().catch(() => ({}))) as { trace_id?: unknown };
    if (typeof body.trace_id === "string" && response.status < 300) told.push(body.trace_id);
    const retry =
      response.status >= 500 ||
      response.status === 429 ||
      (response.status === 409 && response.headers.get("x-should-retry") === "true");
    if (!retry || attempt === HTTP_ATTEMPTS) return told;
    const retryAfter = Number(response.headers.get("retry-after"));
    await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 5) * 1000 : 50 * 2 ** attempt);
  }
}

/** An event-driven requester; some put the same request twice (a producer's retry), under the same key. */
async function putOnBus(bus: EventBridgeClient, request: Request): Promise<void> {
  const detailType = request.kind === "chat.update" ? "chat.update.requested" : "participant.remove.requested";
  const detail = JSON.stringify({ chat_id: request.chatId, ...request.body, idempotency_key: request.key });
  for (let put = 0; put < (request.putTwice ? 2 : 1); put++) {
    const answer = await bus.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: LOCAL_BUS_NAME, Source: "com.example.chaos", DetailType: detailType, Detail: detail },
        ],
      }),
    );
    if (answer.FailedEntryCount !== 0) throw new Error(`PutEvents refused ${request.key}`);
  }
}

function actOnPhone(stack: LocalStack, chatId: string, act: PersonAct): void {
  const sandbox = stack.sandbox!;
  if (act.act === "rename") sandbox.humanRename(chatId, act.name);
  else if (act.act === "icon") sandbox.humanSetIcon(chatId);
  else {
    // Only one whose removal really happened can come back: the sandbox refuses an active participant.
    for (const handle of act.handles) {
      try {
        sandbox.humanAdd(chatId, handle);
        return;
      } catch {
        continue;
      }
    }
  }
}

/** Lets every delivery and outcome happen, then runs the reconciler until nothing is pending or time is up. */
async function settle(stack: LocalStack, plans: ChatPlan[]): Promise<void> {
  await stack.bus.idle();
  await stack.sandbox!.idle();
  await stack.bus.idle();
  const limit = Date.now() + SETTLE_LIMIT_MS;
  for (;;) {
    await stack.reconcileNow().catch(() => {});
    const records = await readRecords(stack, plans);
    if (!records.some((record) => record.status === "pending") || Date.now() > limit) break;
    await sleep(500);
  }
  await stack.bus.idle();
  await stack.published();
}

/** Every chat's operations through `GET /v3/chats/{chatId}/operations`, every page. */
async function readRecords(stack: LocalStack, plans: ChatPlan[]): Promise<OperationRecord[]> {
  const pages = await Promise.all(
    plans.map(async ({ chatId }) => {
      const records: OperationRecord[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
        const response = await fetch(`${stack.url}/v3/chats/${chatId}/operations?limit=100${query}`, {
          headers: { authorization: `Bearer ${stack.apiToken}` },
        });
        if (response.status !== 200) throw new Error(`listing ${chatId}'s operations answered ${response.status}`);
        const page = (await response.json()) as { data: OperationRecord[]; next_cursor: string | null };
        records.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return records;
    }),
  );
  return pages.flat();
}

/** The events the service kept against each chat, straight from its table: to tell why an outcome went wrong. */
async function readKeptEvents(stack: LocalStack, plans: ChatPlan[]): Promise<Map<string, KeptEvent[]>> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  try {
    const kept = new Map<string, KeptEvent[]>();
    for (const { chatId } of plans) {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: stack.tables.operations,
          KeyConditionExpression: "chat_id = :chat AND begins_with(id, :event)",
          ExpressionAttributeValues: { ":chat": chatId, ":event": "event#" },
        }),
      );
      kept.set(chatId, Items as KeptEvent[]);
    }
    return kept;
  } finally {
    client.destroy();
  }
}

function judge(
  options: ChaosOptions,
  stack: LocalStack,
  plans: ChatPlan[],
  told: Map<string, string[]>,
  records: OperationRecord[],
  kept: Map<string, KeptEvent[]>,
  seconds: number,
): ChaosReport {
  const truth = stack.sandbox!.truth();
  const requests = plans.flatMap((plan) => plan.waves.flatMap((wave) => wave.requests));
  const outcomes = stack.bus.events().filter((event) => event.source === SERVICE_EVENT_SOURCE);
  const report: ChaosReport = {
    world: options.world,
    dropRate: options.dropRate,
    seed: options.seed,
    requests: requests.length,
    operations: 0,
    keyProblems: [],
    provenWrong: 0,
    inferred: 0,
    inferredWrong: 0,
    undecidable: 0,
    horizonMs: 0,
    duplicateSideEffects: 0,
    unrecordedCalls: 0,
    eventsMissing: 0,
    eventsDuplicate: 0,
    pending: 0,
    faults: faultsFired(truth, requests),
    seconds: Math.round(seconds),
    misses: [],
  };
  const write = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  let reported = 0;
  const note = (line: string) => {
    if (reported++ < (options.maxReported ?? 10)) write(line);
  };
  const run = `world ${options.world}, drops ${options.dropRate}, seed ${options.seed}`;

  const claimed = new Set<OperationRecord>();
  const named = new Set<string>();
  for (const request of requests) {
    const found = records.filter((record) => record.chat_id === request.chatId && sameRequest(record, request));
    found.forEach((record) => claimed.add(record));
    if (found.length !== 1) {
      report.keyProblems.push(`${request.key}: ${found.length} operations`);
      continue;
    }
    const record = found[0]!;
    const toldTraces = [...new Set(told.get(request.key) ?? [])];
    if (toldTraces.some((traceId) => traceId !== record.trace_id)) {
      report.keyProblems.push(`${request.key}: told ${toldTraces.join(", ")}, recorded ${record.trace_id}`);
      continue;
    }
    report.operations++;
    record.linq_attempts.forEach((attempt) => attempt.trace_id !== undefined && named.add(attempt.trace_id));

    const entries = linqDid(truth, request, record);
    if (entries.length > 1) report.duplicateSideEffects++;

    const published = outcomes.filter((event) => event.detail.trace_id === record.trace_id);
    if (published.length > 1) report.eventsDuplicate++;
    // An event saying otherwise than the record is not the operation's outcome: that one is missing.
    const rightEvent = published[0]?.["detail-type"] === `operation.${record.status}`;
    if (!rightEvent) report.eventsMissing++;
    if (!rightEvent || published.length > 1) {
      const types = published.map((event) => event["detail-type"]).join(", ");
      note(`EVENTS [${run}] ${request.key}: record ${record.trace_id} ${record.status}, outcome events [${types}]`);
    }

    if (record.status === "pending") {
      report.pending++;
      continue;
    }
    const verdict = verdictOn(request, record, entries, truth);
    if (verdict.inferred) report.inferred++;
    if (verdict.wrong === undefined) continue;
    if (verdict.wrong === "proven") report.provenWrong++;
    else report.inferredWrong++;
    if (verdict.undecidable) report.undecidable++;
    note(
      `WRONG (${verdict.wrong}) [${run}] ${request.key} (${request.via}, chat ${request.chatId}) ` +
        `${JSON.stringify(request.body)}\n  record: ${JSON.stringify(summary(record))}\n` +
        `  truth:  ${JSON.stringify(entries.map(truthSummary))}\n` +
        `  kept against the chat: ${JSON.stringify(
          (kept.get(request.chatId) ?? []).map((event) => ({
            kind: event.kind,
            part: event.part,
            outcome: event.outcome,
            reason: event.reason,
            candidates: event.candidates?.length,
            resolved_to: event.resolved_to,
            received_at: event.received_at,
          })),
        )}`,
    );
  }

  for (const record of records.filter((record) => !claimed.has(record))) {
    report.keyProblems.push(`operation ${record.trace_id} answers no request`);
  }
  report.keyProblems.forEach((problem) => note(`KEY [${run}] ${problem}`));
  const ours = new Set(records.map((record) => record.trace_id));
  for (const event of outcomes.filter((event) => !ours.has(event.detail.trace_id as string))) {
    report.eventsDuplicate++;
    note(`EVENTS [${run}] ${event["detail-type"]} of no operation found: ${JSON.stringify(event.detail)}`);
  }
  const unrecorded = Object.values(truth.traces).filter((entry) => !named.has(entry.traceId!));
  report.unrecordedCalls = unrecorded.length;
  for (const entry of unrecorded) {
    const call = truth.calls.find((candidate) => candidate.traceId === entry.traceId);
    note(
      `UNRECORDED [${run}] Linq accepted ${entry.traceId} (answered ${call?.status}) for chat ${entry.chatId} ` +
        `${JSON.stringify(entry.request)}, which no operation's linq_attempts names`,
    );
  }

  const miss = (failed: boolean, what: string) => failed && report.misses.push(what);
  miss(report.operations !== report.requests || report.keyProblems.length > 0, "one operation per request");
  miss(report.provenWrong > 0, "no proven outcome wrong");
  const created = new Map(truth.events.map((event) => [event.eventId, Date.parse(event.createdAt)]));
  for (const delivery of truth.deliveries.filter((d) => d.result === "delivered")) {
    report.horizonMs = Math.max(
      report.horizonMs,
      Date.parse(delivery.at) - (created.get(delivery.eventId) ?? Infinity),
    );
  }
  miss(
    options.dropRate === 0 && report.inferredWrong - report.undecidable > 0,
    "every outcome right without drops (but those the service declared undecidable)",
  );
  miss(report.horizonMs >= FAIL_AFTER_SECONDS * 1000, "the fail-after deadline past the delivery horizon");
  miss(report.eventsMissing + report.eventsDuplicate > 0, "one outcome event per operation");
  miss(report.pending > 0, "nothing left pending");
  return report;
}

/**
 * Every change Linq accepted for the operation: the calls its record names, and any other call of the same request
 * (every request is unique in the run, so its content names it as surely as a trace id; a call the record does not
 * name still happened).
 */
function linqDid(truth: SandboxTruth, request: Request, record: OperationRecord): JudgedOperation[] {
  const named = new Set(record.linq_attempts.map((attempt) => attempt.trace_id));
  return Object.values(truth.traces).filter(
    (entry) => named.has(entry.traceId) || (entry.chatId === request.chatId && sameRequest(entry, request)),
  );
}

/**
 * A settled operation against the truth: whether its status rests on an inferred part, and, when wrong, on which basis.
 * A proven part must never be wrong, even where the operation's status came out right by way of another part.
 */
function verdictOn(
  request: Request,
  record: OperationRecord,
  entries: JudgedOperation[],
  truth: SandboxTruth,
): { inferred: boolean; wrong?: "proven" | "inferred"; undecidable?: boolean } {
  const happened = (part: Part) =>
    entries.some((entry) => entry.parts.some((p) => p.part === part && p.status === "applied"));
  // A settled part without a basis claims certainty.
  const basisOf = (part: Part) => record.results[part]?.basis ?? "proven";
  const parts = partsOf(request);
  const expected = parts.every(happened) ? "succeeded" : "failed";
  // The parts the status rests on: all of them for a success, the failed ones for a failure.
  const deciding = parts.filter((part) => record.status === "succeeded" || record.results[part]?.status === "failed");
  const inferred = deciding.some((part) => basisOf(part) === "inferred");
  const wrongParts = parts.filter((part) => {
    const status = record.results[part]?.status;
    return (status === "succeeded" || status === "failed") && (status === "succeeded") !== happened(part);
  });
  const refusal = refusalOf(truth, record);
  const wrongCode = refusal !== undefined && entries.length === 0 && record.error?.code !== refusal;
  if (wrongParts.some((part) => basisOf(part) === "proven") || (wrongCode && !inferred)) {
    return { inferred, wrong: "proven" };
  }
  if (record.status === expected && !wrongCode) return { inferred };
  const undecidable = wrongParts.some((part) =>
    (record.results[part]?.evidence ?? []).some((e) => (e as { matched_by?: string }).matched_by === "deadline"),
  );
  return { inferred, wrong: "inferred", ...(undecidable ? { undecidable } : {}) };
}

function partsOf(request: Request): Part[] {
  if (request.kind === "participant.remove") return ["participant"];
  return (["display_name", "group_chat_icon"] as const).filter((part) => request.body[part] !== undefined);
}

/** The same request: the same kind and fields (the operation record's or Linq's own record of it). */
function sameRequest(candidate: { kind: string; request: object }, request: Request): boolean {
  if (candidate.kind !== request.kind) return false;
  const fields = candidate.request as Record<string, unknown>;
  const body: Record<string, unknown> = request.body;
  return ["display_name", "group_chat_icon", "handle"].every((field) => fields[field] === body[field]);
}

/**
 * Linq's code when the service saw Linq refuse the operation outright, which the record must then carry. After a 5xx
 * the service cannot tell a refusal from "already done", so only operations whose every call was refused count.
 */
function refusalOf(truth: SandboxTruth, record: OperationRecord): number | undefined {
  const attempts = record.linq_attempts;
  if (attempts.length === 0 || attempts.some((attempt) => attempt.result !== "refused")) return undefined;
  return truth.calls.find((call) => call.traceId === attempts.at(-1)!.trace_id)?.code;
}

function faultsFired(truth: SandboxTruth, requests: Request[]): FaultsFired {
  return {
    failedBefore: truth.calls.filter((call) => call.fault === "failed_before" && call.method !== "GET").length,
    failedAfter: truth.calls.filter((call) => call.fault === "failed_after" && call.operationSeq !== undefined).length,
    dropped: truth.events.filter((event) => event.dropped).length,
    duplicated: truth.events.filter((event) => event.duplicated).length,
    reordered: truth.events.filter((event) => event.overtakenBy !== null).length,
    humanChanges: truth.humanChanges.length,
    viaEventBridge: requests.filter((request) => request.via === "eventbridge").length,
    refused2013: truth.calls.filter((call) => call.code === 2013).length,
  };
}

/** What Linq did with one accepted call: each part's real outcome, and whether its webhook was lost. */
function truthSummary(entry: JudgedOperation) {
  const parts = entry.parts.map(({ part, status, value, reason, eventDropped }) => ({
    part,
    status,
    value,
    reason,
    eventDropped,
  }));
  return { trace: entry.traceId, answer: entry.answer, parts };
}

/** What a reader needs of a wrong record. */
function summary(record: OperationRecord) {
  const results = Object.fromEntries(
    Object.entries(record.results).map(([part, result]) => [
      part,
      {
        status: result?.status,
        basis: result?.basis,
        settled_by: result?.settled_by,
        error_code: result?.error_code,
        reason: result?.reason,
        // What it rests on, briefly: enough to tell why a wrong outcome was reached.
        evidence: (result?.evidence ?? []).map((e) =>
          e.source === "webhook"
            ? `${e.event_type} ${e.matched_by ?? "-"} at ${e.at} received ${e.received_at}`
            : e.source === "reconciler"
              ? `read at ${e.at}: ${e.conclusion}`
              : `${e.source} ${e.status}/${e.code}`,
        ),
      },
    ]),
  );
  return {
    trace_id: record.trace_id,
    created_at: record.created_at,
    status: record.status,
    error: record.error,
    results,
    linq_attempts: record.linq_attempts,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
