/**
 * `npm run linq:webhook -- create --url https://<api>/webhooks/linq --stage <stage>` | `list` | `delete <id>` |
 * `activate <id>` | `rotate --url https://<api>/webhooks/linq --stage <stage>`
 *
 * Registers this service's webhook with Linq through the official client at its defaults (`LINQ_API_V3_API_KEY`,
 * `LINQ_API_V3_BASE_URL`), for exactly the event types the service acts on, pinned to one webhook version. Linq shows a
 * subscription's signing secret once, never changes it, and takes each target URL once per account: so rotating the
 * secret means a second subscription on a second URL (the same route with `rotation=N` in its query, which neither
 * API Gateway's routing nor the signature, computed over the body alone, looks at) while the service accepts both
 * secrets (`LinqWebhookSecret` is a comma-separated list).
 */
import { parseArgs } from "node:util";
import LinqAPIV3, { APIConnectionError, APIError } from "@linqapp/sdk";
import { OUTCOME_EVENT_TYPES } from "../src/domain/linq-events.ts";

/**
 * The payload version the subscription is pinned to. Only message events differ between Linq's versions, and the
 * service reads none, but an unpinned subscription takes whatever is latest when it is re-created.
 */
export const WEBHOOK_VERSION = "2026-02-03";
const ROTATION_PARAM = "rotation";
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"];

export const USAGE =
  "usage: npm run linq:webhook -- create --url https://<api>/webhooks/linq --stage <stage> | list | delete <id> | " +
  "activate <id> | rotate --url https://<api>/webhooks/linq --stage <stage>";

/** Input the command refuses before calling Linq: one sentence, exit code 2. */
export class UsageError extends Error {}

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Validates `--url` and pins the webhook version in its query. */
export function targetUrlFor(value: string | undefined): string {
  if (value === undefined)
    throw new UsageError("--url is required: the service's webhook route, https://<api>/webhooks/linq.");
  if (!URL.canParse(value)) throw new UsageError(`--url must be a URL, got "${value}".`);
  const url = new URL(value);
  const loopbackHttp = url.protocol === "http:" && LOOPBACK_HOSTS.includes(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) {
    throw new UsageError(
      `--url must be an https:// URL (Linq delivers only over HTTPS; plain http only on loopback, for the local sandbox), got "${value}".`,
    );
  }
  const version = url.searchParams.get("version");
  if (version !== null && version !== WEBHOOK_VERSION) {
    throw new UsageError(`--url pins webhook version ${version}, but the service is built for ${WEBHOOK_VERSION}.`);
  }
  url.searchParams.delete(ROTATION_PARAM);
  url.searchParams.set("version", WEBHOOK_VERSION);
  return url.toString();
}

/** Where a target URL delivers, whatever its query: the receiving route. */
export function routeOf(targetUrl: string): string {
  const url = new URL(targetUrl);
  return `${url.origin}${url.pathname}`;
}

/** The base target if no subscription has it, else the first `rotation=N` (N from 2) none has. */
export function rotationTarget(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const url = new URL(base);
    url.searchParams.set(ROTATION_PARAM, String(n));
    if (!taken.has(url.toString())) return url.toString();
  }
}

function stageOf(value: string | undefined): string {
  if (value === undefined) throw new UsageError("--stage is required: the SST stage whose LinqWebhookSecret to set.");
  // It is printed into shell commands to copy: nothing but SST's own stage characters.
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(value))
    throw new UsageError(`--stage must be an SST stage name, got "${value}".`);
  return value;
}

function idOf(positionals: string[], command: string): string {
  const id = positionals[1];
  if (id === undefined || positionals.length > 2) throw new UsageError(`${command} takes one subscription id.`);
  return id;
}

function describeEvents(subscription: LinqAPIV3.WebhookSubscription): string[] {
  const events = subscription.subscribed_events as string[];
  const missing = OUTCOME_EVENT_TYPES.filter((type) => !events.includes(type));
  const unused = events.filter((type) => !OUTCOME_EVENT_TYPES.includes(type));
  return [
    ...(missing.length === 0 ? [] : [`    missing what the service needs: ${missing.join(", ")}`]),
    ...(unused.length === 0 ? [] : [`    not used by the service: ${unused.join(", ")}`]),
  ];
}

async function create(linq: LinqAPIV3, io: Io, url: string | undefined, stageValue: string | undefined) {
  const target = targetUrlFor(url);
  const stage = stageOf(stageValue);
  const { subscriptions } = await linq.webhookSubscriptions.list();
  // One subscription per route, except while a rotation runs: a second would sign with a secret the service lacks.
  const route = routeOf(target);
  const same = subscriptions.find((subscription) => routeOf(subscription.target_url) === route);
  if (same !== undefined) {
    throw new UsageError(
      `Subscription ${same.id} already delivers to ${route}: for a new secret use rotate, or delete it first.`,
    );
  }
  const created = await linq.webhookSubscriptions.create({
    target_url: target,
    subscribed_events: [...OUTCOME_EVENT_TYPES] as LinqAPIV3.WebhookEventType[],
  });
  io.out(`Created webhook subscription ${created.id}`);
  io.out(`  target: ${created.target_url}`);
  io.out(`  events: ${created.subscribed_events.join(", ")}`);
  io.out("Its signing secret, shown this once (Linq never shows or changes it again). Store it, then deploy:");
  io.out(`  npx sst secret set LinqWebhookSecret ${created.signing_secret} --stage ${stage}`);
  io.out(`  npx sst deploy --stage ${stage}`);
}

async function list(linq: LinqAPIV3, io: Io) {
  const { subscriptions } = await linq.webhookSubscriptions.list();
  if (subscriptions.length === 0) {
    io.out("No webhook subscriptions.");
    return;
  }
  for (const subscription of subscriptions) {
    const version = new URL(subscription.target_url).searchParams.get("version") ?? "not pinned";
    io.out(`${subscription.id}  ${subscription.is_active ? "active" : "paused"}  ${subscription.target_url}`);
    io.out(`    version ${version}, created ${subscription.created_at}`);
    io.out(`    events: ${subscription.subscribed_events.join(", ")}`);
    for (const line of describeEvents(subscription)) io.out(line);
  }
}

/**
 * Creates the new subscription paused, so nothing is signed with a secret the service does not have yet, and prints
 * the rest: the old subscription delivers every event until the new one has been seen to work.
 */
async function rotate(linq: LinqAPIV3, io: Io, url: string | undefined, stageValue: string | undefined) {
  const base = targetUrlFor(url);
  const stage = stageOf(stageValue);
  const route = routeOf(base);
  const { subscriptions } = await linq.webhookSubscriptions.list();
  const onRoute = subscriptions.filter((subscription) => routeOf(subscription.target_url) === route);
  const [old, ...more] = onRoute;
  if (old === undefined)
    throw new UsageError(`No webhook subscription delivers to ${route}: register one with create.`);
  if (more.length > 0) {
    throw new UsageError(
      `A rotation is under way: ${onRoute.map((s) => s.id).join(" and ")} both deliver to ${route}; finish it ` +
        "(activate the new one, check its deliveries, delete the old one) before starting another.",
    );
  }
  const created = await linq.webhookSubscriptions.create({
    target_url: rotationTarget(base, new Set(subscriptions.map((s) => s.target_url))),
    subscribed_events: [...OUTCOME_EVENT_TYPES] as LinqAPIV3.WebhookEventType[],
  });
  // The secret first: whatever fails next, it must not be lost.
  io.out(`Created webhook subscription ${created.id} at ${created.target_url}`);
  io.out(`Its signing secret, shown this once: ${created.signing_secret}`);
  await linq.webhookSubscriptions.update(created.id, { is_active: false });
  const secret = created.signing_secret;
  const steps = [
    `1. Done: ${created.id} is paused, so nothing is signed with a secret the service does not have yet.`,
    `2. Give the service both secrets, the current one first (npx sst secret list --stage ${stage} shows it):`,
    "     CURRENT_SECRET='<the LinqWebhookSecret value>'",
    `     npx sst secret set LinqWebhookSecret "$CURRENT_SECRET,${secret}" --stage ${stage}`,
    "3. Deploy:",
    `     npx sst deploy --stage ${stage}`,
    "4. Start the new subscription. Both then deliver every event; the service verifies each with either secret and",
    "   records an event once:",
    `     npm run linq:webhook -- activate ${created.id}`,
    "5. Check the new one's deliveries: make a change (npm run linq:probe) and see the webhook function refuse none",
    "   (its log, the webhook refusals metric): with a wrong secret, every delivery of the new one would be refused.",
    "6. Retire the old one:",
    `     npm run linq:webhook -- delete ${old.id}`,
    "7. Keep only the new secret, and deploy:",
    `     npx sst secret set LinqWebhookSecret ${secret} --stage ${stage}`,
    `     npx sst deploy --stage ${stage}`,
  ];
  io.out(`Rotating the webhook secret of ${route} (the old subscription, ${old.id}, delivers until step 6):`);
  for (const step of steps) io.out(`  ${step}`);
}

async function run(argv: string[], io: Io): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { url: { type: "string" }, stage: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  const commands = ["create", "list", "delete", "activate", "rotate"];
  if (command === undefined) throw new UsageError(`Name a command: ${commands.join(", ")}.`);
  if (!commands.includes(command)) {
    throw new UsageError(`Unknown command "${command}": use one of ${commands.join(", ")}.`);
  }
  if (["create", "rotate"].includes(command)) {
    // Bad input is refused before the key is looked for or Linq is called.
    targetUrlFor(values.url);
    stageOf(values.stage);
  }
  const id = ["delete", "activate"].includes(command) ? idOf(positionals, command) : undefined;

  const apiKey = io.env.LINQ_API_V3_API_KEY?.trim();
  if (!apiKey) {
    throw new UsageError(
      "LINQ_API_V3_API_KEY is not set: export your Linq API key (for the local sandbox, any value with LINQ_API_V3_BASE_URL=http://127.0.0.1:3001).",
    );
  }
  const baseURL = io.env.LINQ_API_V3_BASE_URL?.trim() || undefined;
  const linq = new LinqAPIV3({ apiKey, ...(baseURL === undefined ? {} : { baseURL }) });

  if (command === "create") await create(linq, io, values.url, values.stage);
  else if (command === "list") await list(linq, io);
  else if (command === "rotate") await rotate(linq, io, values.url, values.stage);
  else if (command === "delete") {
    await linq.webhookSubscriptions.delete(id!);
    io.out(`Deleted webhook subscription ${id}.`);
  } else {
    const updated = await linq.webhookSubscriptions.update(id!, { is_active: true });
    io.out(`Activated webhook subscription ${updated.id} (${updated.target_url}).`);
  }
}

/** The command's exit code: 0 done, 2 refused input, 1 Linq refused or could not be reached. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    await run(argv, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      return 2;
    }
    if (error instanceof APIError && error.status !== undefined) {
      const body = (error.error as { error?: { code?: number; message?: string } } | undefined)?.error;
      io.err(
        `Linq answered ${error.status}${body?.code === undefined ? "" : `/${body.code}`}: ${body?.message ?? error.message}.`,
      );
      return 1;
    }
    if (error instanceof APIConnectionError) {
      io.err(`Could not reach Linq: ${error.message}.`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
