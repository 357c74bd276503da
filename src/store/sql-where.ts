/**
 * A WHERE clause built from optional filters, with `?` placeholders in order
 * (PostgreSQL's backend renumbers them to $1, $2, ...). Only our own fixed
 * condition texts go in; every value is a parameter.
 */
export class SqlWhere {
  readonly #conditions: string[] = [];
  readonly params: unknown[] = [];

  /** Adds a condition when the first value is defined; values fill its `?`s in order. */
  when(value: unknown, condition: string, ...more: unknown[]): this {
    if (value === undefined) return this;
    this.#conditions.push(condition);
    this.params.push(value, ...more);
    return this;
  }

  /** Adds `column IN (?, ...)`; an empty list matches nothing. */
  in(column: string, values: readonly unknown[] | undefined): this {
    if (values === undefined) return this;
    if (values.length === 0) {
      this.#conditions.push("1 = 0");
      return this;
    }
    this.#conditions.push(`${column} IN (${values.map(() => "?").join(", ")})`);
    this.params.push(...values);
    return this;
  }

  /** " WHERE a AND b", or "" when nothing was added. */
  get sql(): string {
    return this.#conditions.length ? ` WHERE ${this.#conditions.join(" AND ")}` : "";
  }
}
