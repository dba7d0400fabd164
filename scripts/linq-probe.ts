/**
 * `npm run linq:probe -- --url <service> --token <service token> --chat <group chat id> [--icon <https url>]
 * [--remove-handle <handle>] [--fail-after <seconds>]`
 *
 * Asks a deployed service (or `npm start`) to do reversible things to one group chat a person names, waits for the
 * outcomes, and reads the evidence on the records to tell what this Linq account does where nobody has confirmed it:
 * whether a webhook's trace_id is the request's X-Trace-ID, what `changed_by_handle` holds for our own changes,
 * whether icons are echoed or re-hosted, and how long outcomes take. It renames the chat and renames it back, sets an
 * icon and restores the old one (only with --icon), and removes a participant only when told which.
 */
import { parseArgs } from "node:util";
import LinqAPIV3 from "@linqapp/sdk";

export interface ProbeOptions {
  url: string;
  token: string;
  chatId: string;
  icon?: string;
  removeHandle?: string;
  /** The service's fail-after deadline, to say whether it fits the latencies seen. */
  failAfterSeconds: number;
  /** How long to wait for one outcome, reading it every `pollMs`. */
  timeoutMs: number;
  pollMs?: number;
  log?: (line: string) => void;
}

interface Evidence {
  source: string;
  matched_by?: string;
  trace_id?: string;
  value?: string | null;
  old_value?: string | null;
  changed_by?: { handle: string; is_me: boolean } | null;
  received_at?: string;
}

interface ProbedRecord {
  trace_id: string;
  status: string;
  created_at: string;
  completed_at?: string;
  request: Record<string, string>;
  results: Record<string, { status: string; basis?: string; settled_by?: string; evidence?: Evidence[] }>;
  linq_attempts: { trace_id?: string }[];
}

export interface PartFinding {
  part: string;
  status: string;
  basis?: string;
  settledBy?: string;
  /** A webhook reached the service for it. */
  webhook: boolean;
  traceLinked?: boolean;
  changedBy?: "our line" | "null" | "absent" | "a person";
  echoed?: boolean;
  latencySeconds?: number;
  oldValue?: string | null;
}

export interface ProbeReport {
  findings: PartFinding[];
  conclusions: string[];
}

export async function probe(options: ProbeOptions): Promise<ProbeReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const client = new LinqAPIV3({ apiKey: options.token, baseURL: options.url, maxRetries: 0 });
  const findings: PartFinding[] = [];

  // The service adds its trace_id to Linq's answer; the client's types do not know it.
  const run = async (what: string, start: () => Promise<unknown>): Promise<ProbedRecord> => {
    log(`probe: ${what}…`);
    const traceId = ((await start()) as { trace_id?: unknown }).trace_id;
    if (typeof traceId !== "string") throw new Error(`${what}: the service answered no trace_id`);
    const record = await settled(options, traceId);
    log(`probe: ${what}: ${record.status}`);
    return record;
  };

  const rename = await run("rename", () =>
    client.chats.update(options.chatId, { display_name: `linq-chat-ops probe ${Date.now()}` }),
  );
  const name = finding(rename, "display_name");
  findings.push(name);
  if (name.oldValue) {
    findings.push(
      finding(
        await run("rename back", () => client.chats.update(options.chatId, { display_name: name.oldValue! })),
        "display_name",
      ),
    );
  } else log("probe: the old name is unknown (no webhook said it): rename the chat back by hand");

  if (options.icon !== undefined) {
    const icon = finding(
      await run("set icon", () => client.chats.update(options.chatId, { group_chat_icon: options.icon! })),
      "group_chat_icon",
    );
    findings.push(icon);
    if (icon.oldValue) {
      findings.push(
        finding(
          await run("restore icon", () => client.chats.update(options.chatId, { group_chat_icon: icon.oldValue! })),
          "group_chat_icon",
        ),
      );
    } else log("probe: the chat had no icon Linq named: it keeps the probe's");
  }

  if (options.removeHandle !== undefined) {
    const removal = await run("remove participant", () =>
      client.chats.participants.remove(options.chatId, { handle: options.removeHandle! }),
    );
    findings.push(finding(removal, "participant"));
  }

  return { findings, conclusions: conclude(findings, options.failAfterSeconds) };
}

async function settled(options: ProbeOptions, traceId: string): Promise<ProbedRecord> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const response = await fetch(`${options.url}/v3/chats/${options.chatId}/operations/${traceId}`, {
      headers: { authorization: `Bearer ${options.token}` },
    });
    if (response.ok) {
      const record = (await response.json()) as ProbedRecord;
      if (record.status !== "pending") return record;
    }
    if (Date.now() > deadline) throw new Error(`operation ${traceId} still pending after ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
  }
}

function finding(record: ProbedRecord, part: string): PartFinding {
  const result = record.results[part];
  const events = (result?.evidence ?? []).filter((e) => e.source === "webhook");
  const event = events[0];
  const ours = new Set(record.linq_attempts.flatMap((attempt) => (attempt.trace_id ? [attempt.trace_id] : [])));
  const found: PartFinding = {
    part,
    status: result?.status ?? record.status,
    webhook: event !== undefined,
    ...(result?.basis === undefined ? {} : { basis: result.basis }),
    ...(result?.settled_by === undefined ? {} : { settledBy: result.settled_by }),
  };
  if (event === undefined) return found;
  found.traceLinked = event.trace_id !== undefined && ours.has(event.trace_id);
  found.changedBy =
    event.changed_by === undefined
      ? "absent"
      : event.changed_by === null
        ? "null"
        : event.changed_by.is_me
          ? "our line"
          : "a person";
  if (part !== "participant") found.echoed = event.value === record.request[part];
  if (event.old_value !== undefined) found.oldValue = event.old_value;
  if (event.received_at !== undefined) {
    found.latencySeconds = (Date.parse(event.received_at) - Date.parse(record.created_at)) / 1000;
  }
  return found;
}

function conclude(findings: PartFinding[], failAfterSeconds: number): string[] {
  const heard = findings.filter((f) => f.webhook);
  if (heard.length === 0) {
    return ["No webhook reached the service: register it (npm run linq:webhook -- create) and probe again."];
  }
  const lines: string[] = [];
  const linked = heard.filter((f) => f.traceLinked).length;
  lines.push(
    linked === heard.length
      ? "Webhook trace_id is the request's X-Trace-ID: events settle their operation exactly (proven)."
      : linked === 0
        ? "Webhook trace_id is NOT the request's X-Trace-ID: events are matched by value and elimination."
        : `Webhook trace_id matched the request in ${linked} of ${heard.length} events: mixed, matched case by case.`,
  );
  const who = [...new Set(heard.filter((f) => f.part !== "participant").map((f) => f.changedBy))];
  lines.push(`changed_by_handle for our own changes: ${who.join(", ") || "not seen"}.`);
  if (who.length > 0 && !who.every((w) => w === "our line")) {
    lines.push(
      "  So a change matched by value alone is recorded inferred: a person's identical change looks the same.",
    );
  }
  const icons = heard.filter((f) => f.part === "group_chat_icon" && f.echoed !== undefined);
  if (icons.length > 0) {
    lines.push(
      icons.every((f) => f.echoed)
        ? "Icons are echoed: the event names the URL we sent."
        : "Icons are re-hosted by Linq: icon events are tied by trace id or elimination, and recorded inferred.",
    );
  }
  const slowest = Math.max(...heard.map((f) => f.latencySeconds ?? 0));
  lines.push(`Slowest request-to-webhook latency: ${slowest.toFixed(1)} s.`);
  // Linq retries a delivery for about 25 minutes; the deadline must cover an outcome's latency on top of that.
  const needed = slowest + 25 * 60;
  lines.push(
    failAfterSeconds >= needed
      ? `RECONCILE_FAIL_AFTER_SECONDS=${failAfterSeconds} fits (at least ${Math.ceil(needed)} s needed).`
      : `RECONCILE_FAIL_AFTER_SECONDS=${failAfterSeconds} is too short: set it to at least ${Math.ceil(needed)}.`,
  );
  return lines;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      chat: { type: "string" },
      icon: { type: "string" },
      "remove-handle": { type: "string" },
      "fail-after": { type: "string", default: "1800" },
      "timeout-minutes": { type: "string", default: "30" },
    },
  });
  if (!values.url || !values.token || !values.chat) {
    console.error(
      "usage: npm run linq:probe -- --url https://<api> --token <service token> --chat <group chat id> " +
        "[--icon https://…] [--remove-handle <handle>] [--fail-after 1800]",
    );
    process.exit(2);
  }
  const report = await probe({
    url: values.url.replace(/\/+$/, ""),
    token: values.token,
    chatId: values.chat,
    ...(values.icon === undefined ? {} : { icon: values.icon }),
    ...(values["remove-handle"] === undefined ? {} : { removeHandle: values["remove-handle"] }),
    failAfterSeconds: Number(values["fail-after"]),
    timeoutMs: Number(values["timeout-minutes"]) * 60_000,
  });
  console.table(report.findings);
  for (const line of report.conclusions) console.log(line);
}
