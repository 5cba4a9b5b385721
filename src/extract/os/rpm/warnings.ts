/** Where readers report what they could not read; an array will do in tests. */
export interface WarningSink {
  push(message: string): unknown;
}

/**
 * Keeps the first `limit` warnings and counts the rest, so a hostile database that fails on every
 * page cannot grow the result without bound.
 */
export class BoundedWarnings implements WarningSink {
  readonly #limit: number;
  readonly #kept: string[] = [];
  #dropped = 0;

  constructor(limit = 100) {
    this.#limit = limit;
  }

  push(message: string): void {
    if (this.#kept.length < this.#limit) this.#kept.push(message);
    else this.#dropped++;
  }

  list(): string[] {
    return this.#dropped === 0 ? [...this.#kept] : [...this.#kept, `${this.#dropped} more warnings not shown`];
  }
}
