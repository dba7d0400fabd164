import { createServer } from "node:http";
import { close, listen } from "./http.ts";

/** A port nothing listens on right now, for servers that cannot pick their own (the DynamoDB Local JVM). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const url = await listen(server, 0);
  await close(server);
  return Number(new URL(url).port);
}

/** A port from the environment, or the contract's default. */
export function portFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}
