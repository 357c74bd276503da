/**
 * `option NAME code N = TYPE;` declarations (dhcp-options(5), "Defining new
 * options"). They are global in dhcpd, whatever block they are written in,
 * and may come after the option's first use, so all of them are read before
 * any statement is imported; values of a declared option are then imported
 * by code, under dhcp.options.
 */
import { DHCP_OPTION_TABLE, type DhcpOptionType } from "../dhcp-option-table.js";
import { DHCPD_KEYWORD_TABLE } from "./dhcpd-keyword-table.js";
import type { DhcpdStatement } from "./dhcpd-statement.js";

export interface DhcpdOptionDeclaration {
  readonly code: number;
  readonly type: DhcpOptionType;
}

export class DhcpdOptionDeclarations {
  /** By option name, lower case, in declaration order. */
  readonly #byName = new Map<string, DhcpdOptionDeclaration>();

  /** Every declaration in `statements` and the blocks inside them. */
  static collect(statements: readonly DhcpdStatement[]): DhcpdOptionDeclarations {
    const declarations = new DhcpdOptionDeclarations();
    declarations.#collect(statements);
    return declarations;
  }

  get(name: string): DhcpdOptionDeclaration | undefined {
    return this.#byName.get(name);
  }

  /** The names this file declared for option `code`. */
  namesOf(code: number): string[] {
    return [...this.#byName].filter(([, d]) => d.code === code).map(([name]) => name);
  }

  #collect(sts: readonly DhcpdStatement[]): void {
    for (const st of sts) {
      const h = st.head;
      if (h[0]?.text.toLowerCase() === "option" && h[2]?.text.toLowerCase() === "code" && h.length >= 6) {
        const code = Number(h[3]!.text);
        const typeWords = h.slice(5).map((t) => t.text.toLowerCase());
        const type =
          DHCP_OPTION_TABLE.typeOfDhcpdDeclaration(typeWords.join(" ")) ??
          DHCPD_KEYWORD_TABLE.declarationType(typeWords);
        if (Number.isInteger(code) && code >= 1 && code <= 254 && type)
          this.#byName.set(h[1]!.text.toLowerCase(), { code, type });
      }
      if (st.block) this.#collect(st.block);
    }
  }
}
