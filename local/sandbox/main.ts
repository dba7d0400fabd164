import { SandboxConfigError, sandboxOptionsFromEnv, startSandbox } from "./index.ts";

/** `node local/sandbox/main.ts`: the sandbox on its own, configured by environment (see README.md). */

let options;
try {
  options = sandboxOptionsFromEnv(process.env);
} catch (error) {
  if (!(error instanceof SandboxConfigError)) throw error;
  console.error(`linq sandbox: ${error.message}`);
  process.exit(1);
}

const sandbox = await startSandbox({ ...options, log: (line) => console.log(`linq sandbox: ${line}`) });
console.log(`linq sandbox ready at ${sandbox.url} (seed ${sandbox.seed})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void sandbox.stop().then(() => process.exit(0));
  });
}
