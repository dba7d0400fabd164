/**
 * How far behind the service is: the age of the oldest operation still pending. Past its fail-after deadline (plus a
 * reconciler run) it should have been settled, so an alarm watches it.
 */
import type { Backlog, Clock } from "./ports.ts";

export async function oldestPendingAgeSeconds(backlog: Backlog, clock: Clock): Promise<number> {
  const now = clock.now();
  const { records } = await backlog.pendingBefore(now.toISOString(), 1);
  const oldest = records[0];
  return oldest === undefined ? 0 : Math.max(0, Math.round((now.getTime() - Date.parse(oldest.created_at)) / 1000));
}
