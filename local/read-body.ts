import type { IncomingMessage } from "node:http";

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
