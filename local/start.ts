/**
 * `npm start`: the whole service on this machine, no AWS account needed. See the README's "Local run".
 */
import { portFromEnv } from "./http.ts";
import { SandboxConfigError, sandboxOptionsFromEnv } from "./sandbox/index.ts";
import { DEFAULT_API_TOKEN, startLocalStack } from "./stack.ts";

const env = process.env;
const quiet = env.QUIET === "1";
const log = (line: string) => {
  if (!quiet) console.log(`  ${line}`);
};

let sandbox;
try {
  // The port is the stack's to give; the faults and delays are the sandbox's own settings.
  const { port: _port, webhookTargets: _targets, ...faults } = sandboxOptionsFromEnv(env);
  sandbox = { delayMs: 1_500, retryScheduleMs: [1_000, 2_000, 5_000, 10_000, 30_000], ...faults };
} catch (error) {
  if (!(error instanceof SandboxConfigError)) throw error;
  console.error(`linq-chat-ops: ${error.message}`);
  process.exit(1);
}

const realLinqKey = env.LINQ_API_V3_API_KEY?.trim();
const stack = await startLocalStack({
  port: portFromEnv(env, "PORT", 3000),
  sandboxPort: portFromEnv(env, "LINQ_SANDBOX_PORT", 3001),
  busPort: portFromEnv(env, "LOCAL_BUS_PORT", 3002),
  apiToken: env.API_TOKEN?.trim() || DEFAULT_API_TOKEN,
  ...(env.LINQ_WEBHOOK_SECRET?.trim() ? { webhookSecret: env.LINQ_WEBHOOK_SECRET.trim() } : {}),
  ...(realLinqKey
    ? { realLinq: { apiKey: realLinqKey, ...(env.LINQ_API_V3_BASE_URL ? { baseURL: env.LINQ_API_V3_BASE_URL } : {}) } }
    : {}),
  sandbox,
  reconcileEveryMs: 5_000,
  // With the sandbox, short deadlines, so a removal that never happens shows as failed while you watch. The real Linq
  // keeps the deployed defaults: its outcomes take real time. Any RECONCILE_* set wins either way.
  reconcilerEnv: realLinqKey
    ? {}
    : {
        RECONCILE_AFTER_SECONDS: env.RECONCILE_AFTER_SECONDS ?? "10",
        RECONCILE_FAIL_AFTER_SECONDS: env.RECONCILE_FAIL_AFTER_SECONDS ?? "30",
        RECONCILE_ABANDON_AFTER_SECONDS: env.RECONCILE_ABANDON_AFTER_SECONDS ?? "30",
      },
  log,
});

const demo = stack.sandbox?.seedChat({
  // The last handle ends in 0000: the sandbox accepts its removal and never carries it out.
  handles: ["+15550000001", "+15550000002", "+15550000003", "+15550000004", "+15551230000"],
  display_name: "Demo group",
});

console.log(`linq-chat-ops ready at ${stack.url}`);
console.log(`  service token:  ${stack.apiToken}`);
console.log(
  stack.sandbox ? `  Linq sandbox:   ${stack.sandbox.url} (seed ${stack.sandbox.seed})` : `  Linq:           real`,
);
console.log(`  local bus:      ${stack.bus.url} (events at ${stack.bus.url}/events)`);
if (demo) {
  console.log(`  demo group chat: ${demo.id}`);
  console.log("");
  console.log("  Try:");
  console.log(
    `  curl -s -X PUT ${stack.url}/v3/chats/${demo.id} -H 'Authorization: Bearer ${stack.apiToken}' ` +
      `-H 'Content-Type: application/json' -d '{"display_name":"Team Discussion"}'`,
  );
  console.log(
    `  curl -s -X DELETE ${stack.url}/v3/chats/${demo.id}/participants -H 'Authorization: Bearer ${stack.apiToken}' ` +
      `-H 'Content-Type: application/json' -d '{"handle":"+15550000004"}'`,
  );
  console.log(`  curl -s ${stack.url}/v3/chats/${demo.id}/operations -H 'Authorization: Bearer ${stack.apiToken}'`);
  console.log(`  curl -s ${stack.bus.url}/events`);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`linq-chat-ops: ${signal}, stopping`);
    void stack.stop().then(() => process.exit(0));
  });
}
