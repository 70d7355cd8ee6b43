// One instance per distinct string among the recent ones: the sockets of one bearer token (a
// console's tabs, a client's reconnects, a bench's thousands) then share one copy of it instead of
// one each (issue 21: memory per idle subscription). Bounded: the oldest are forgotten first.
export class Interned {
  private readonly seen = new Map<string, string>();

  /** At most `max` strings, none longer than `maxLength` (longer ones are returned as they are, never kept). */
  constructor(
    private readonly max: number,
    private readonly maxLength = 4_096,
  ) {}

  intern(value: string): string {
    if (value.length > this.maxLength) return value;
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(value, value);
    return value;
  }
}
