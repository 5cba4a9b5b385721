/**
 * A small cache of parsed versions: matching compares the same installed version against thousands
 * of range events, so each distinct string is parsed (and validated) once. Two generations
 * approximate LRU without touching the map on a hit: a hit in the older generation is promoted, and
 * when the young generation fills up it becomes the old one, dropping whatever was not used since.
 */
export class ParseCache<T> {
  #young = new Map<string, T>();
  #old = new Map<string, T>();
  readonly #generationSize: number;

  constructor(capacity = 4096) {
    this.#generationSize = Math.max(1, capacity >> 1);
  }

  get(key: string, parse: (key: string) => T): T {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    const value = old !== undefined ? old : parse(key);
    if (this.#young.size >= this.#generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
    return value;
  }

  /** entries held, at most `capacity` */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
