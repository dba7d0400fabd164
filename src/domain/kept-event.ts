/**
 * A Linq event kept against its chat rather than settled onto an operation: a change nobody of ours asked for (a person
 * on a phone, another system on our line), an outcome that could belong to more than one of our operations (kept until
 * the evidence decides which), or a signed delivery the service cannot read. Linq's word is never dropped.
 */
import type { Evidence, Part } from "./operation.ts";

export type KeptEventKind =
  /** A change of the chat that is not ours: evidence that a part was overwritten. */
  | "change"
  /** An outcome that several operations could own; `candidates` until `resolved_to` says which. */
  | "ambiguous"
  /** A delivery that verified but cannot be used: kept as Linq sent it. */
  | "unusable";

export interface KeptEvent {
  chat_id: string;
  /** `event#<event id>` (or the delivery id when the event has none usable): one item per event. */
  id: string;
  kind: KeptEventKind;
  part?: Part;
  outcome?: "succeeded" | "failed";
  evidence?: Extract<Evidence, { source: "webhook" }>;
  /** The operations it may belong to, oldest first. */
  candidates?: string[];
  resolved_to?: string;
  /** Why it is kept rather than used. */
  reason?: string;
  event_type?: string;
  /** A delivery that could not be read, as it came: any JSON survives as text. */
  raw?: string;
  received_at: string;
  version: number;
}

export function keptEventId(eventId: string): string {
  return `event#${eventId}`;
}

export function isUnresolved(event: KeptEvent): boolean {
  return event.kind === "ambiguous" && event.resolved_to === undefined;
}
