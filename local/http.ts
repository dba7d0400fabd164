import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What every local server (the sandbox, the bus, the API adapter, the stack) needs from node:http, written once. */

/** Listens, and resolves with the base URL, e.g. `http://127.0.0.1:3002`; rejects when the port is taken. */
export async function listen(server: Server, port: number, host = "127.0.0.1"): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
}

export async function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Clients (the SDKs, fetch) keep connections alive; without this, close() waits for them to time out.
  server.closeAllConnections();
  await closed;
}

/**
 * A request's body, or undefined when it is larger than `maxBytes`. An oversized body is still read to the end, so the
 * client gets the refusal instead of a reset connection.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  return size <= maxBytes ? Buffer.concat(chunks) : undefined;
}

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

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
