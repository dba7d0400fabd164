/**
 * One ordered log shared by the fakes, so a test can assert what happened before what across ports
 * (e.g. "the record was written before Linq was called").
 */
export class Journal {
  readonly entries: string[] = [];

  add(entry: string): void {
    this.entries.push(entry);
  }

  /** Entries starting with `prefix`, in order. */
  only(prefix: string): string[] {
    return this.entries.filter((entry) => entry.startsWith(prefix));
  }
}
