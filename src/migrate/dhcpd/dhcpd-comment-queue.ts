/**
 * Gives each dhcpd.conf comment to one statement, so the import can keep it
 * beside what it belonged to: own-line comments go to the statement below
 * them, a comment after the last word of a line to the statement that ends
 * (or, for a block, opens or closes) on that line. Comments nobody claims
 * are taken by the end of their block, so nothing written is lost.
 */
import type { DhcpdComment } from "./dhcpd-tokenizer.js";

interface QueuedComment {
  readonly comment: DhcpdComment;
  taken: boolean;
}

export class DhcpdCommentQueue {
  /** In file order. */
  readonly #queue: readonly QueuedComment[];
  readonly #byLine = new Map<number, QueuedComment>();
  #cursor = 0;

  constructor(comments: readonly DhcpdComment[]) {
    this.#queue = comments.map((comment) => ({ comment, taken: false }));
    for (const q of this.#queue) this.#byLine.set(q.comment.line, q);
  }

  /** Comments on lines before `line` not yet given to a statement (own-line ones, and trailing ones nobody claimed). */
  takeBefore(line: number): string[] {
    const out: string[] = [];
    while (this.#cursor < this.#queue.length && this.#queue[this.#cursor]!.comment.line < line) {
      const q = this.#queue[this.#cursor++]!;
      if (!q.taken) out.push(q.comment.text);
      q.taken = true;
    }
    return out;
  }

  /** The comment after the last token on `line`, if nobody took it yet. */
  takeTrailing(line: number): string | undefined {
    const q = this.#byLine.get(line);
    if (!q || q.comment.ownLine || q.taken) return undefined;
    q.taken = true;
    return q.comment.text;
  }
}
