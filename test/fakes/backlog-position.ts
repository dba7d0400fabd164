import type { BacklogPosition } from "../../src/domain/ports.ts";

/** The reconciler's saved place in the backlog, in memory; `saves` records each one, for tests of the walk. */
export class InMemoryBacklogPosition implements BacklogPosition {
  position: string | undefined;
  readonly saves: (string | undefined)[] = [];

  async load(): Promise<string | undefined> {
    return this.position;
  }

  async save(position: string | undefined): Promise<void> {
    this.position = position;
    this.saves.push(position);
  }
}
