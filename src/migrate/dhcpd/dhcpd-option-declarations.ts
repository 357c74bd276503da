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
  /** `= encapsulate SPACE`: the option carries that space's options as its value. */
  readonly encapsulates?: string | undefined;
}

export class DhcpdOptionDeclarations {
  /** By option name, lower case, in declaration order. */
  readonly #byName = new Map<string, DhcpdOptionDeclaration>();
  /** Options of a space (`SPACE.NAME`), which dhcpd sends only inside the option encapsulating it. */
  readonly #inSpace = new Map<string, DhcpdOptionDeclaration>();
  /** Space name -> the code of the option that encapsulates it. */
  readonly #encapsulated = new Map<string, number>();

  /** Every declaration in `statements` and the blocks inside them. */
  static collect(statements: readonly DhcpdStatement[]): DhcpdOptionDeclarations {
    const declarations = new DhcpdOptionDeclarations();
    declarations.#collect(statements);
    return declarations;
  }

  /** A declared top-level option. */
  get(name: string): DhcpdOptionDeclaration | undefined {
    return this.#byName.get(name);
  }

  /** Declared at all: top-level, or as an option of a space. */
  isDeclared(name: string): boolean {
    return this.#byName.has(name) || this.#inSpace.has(name);
  }

  /** The spaces option `code` encapsulates. */
  spacesIn(code: number): string[] {
    return [...this.#encapsulated].filter(([, c]) => c === code).map(([space]) => space);
  }

  /** The code of the option that encapsulates `space` (175 for iPXE's), when one does. */
  encapsulatingCode(space: string): number | undefined {
    return this.#encapsulated.get(space.toLowerCase());
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
        const name = h[1]!.text.toLowerCase();
        const typeWords = h.slice(5).map((t) => t.text.toLowerCase());
        // `option NAME code N = encapsulate SPACE;` (dhcp-options(5),
        // "Encapsulation"): the value is the space's options, as bytes.
        const encapsulates =
          typeWords[0] === "encapsulate" && typeWords.length === 2 ? typeWords[1] : undefined;
        const type = encapsulates
          ? "bytes"
          : (DHCP_OPTION_TABLE.typeOfDhcpdDeclaration(typeWords.join(" ")) ??
            DHCPD_KEYWORD_TABLE.declarationType(typeWords));
        if (Number.isInteger(code) && code >= 1 && code <= 254 && type) {
          if (name.includes(".")) this.#inSpace.set(name, { code, type });
          else this.#byName.set(name, { code, type, encapsulates });
          if (encapsulates && !name.includes(".")) this.#encapsulated.set(encapsulates, code);
        }
      }
      if (st.block) this.#collect(st.block);
    }
  }
}
