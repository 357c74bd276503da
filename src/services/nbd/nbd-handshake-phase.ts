/**
 * The fixed-newstyle handshake of one NBD connection (proto.md "Handshake"):
 * the greeting, the client's flags, then options one at a time until the
 * client picks an export with NBD_OPT_GO or NBD_OPT_EXPORT_NAME, or leaves
 * with NBD_OPT_ABORT. Answers NBD_OPT_LIST, NBD_OPT_INFO,
 * NBD_OPT_STRUCTURED_REPLY and the base:allocation meta context; any other
 * option gets NBD_REP_ERR_UNSUP.
 *
 * An option with bad data gets NBD_REP_ERR_INVALID and the handshake goes
 * on (proto.md asks servers to error options rather than disconnect); bytes
 * that break a MUST (unknown client flags, a bad NBD_OPT_EXPORT_NAME) throw,
 * and the connection ends.
 */
import type { Logger } from "../../logging/logger.js";
import type { NbdClientFramer } from "../../protocols/nbd/nbd-client-framer.js";
import {
  NBD_FLAG_C_NO_ZEROES,
  NBD_FLAG_FIXED_NEWSTYLE,
  NBD_FLAG_NO_ZEROES,
  NBD_INFO_BLOCK_SIZE,
  NBD_INFO_DESCRIPTION,
  NBD_INFO_NAME,
  NBD_MAX_PAYLOAD_BYTES,
  NBD_OPT_EXPORT_NAME,
  NBD_OPT_GO,
  NBD_OPT_LIST,
  NBD_REP_ERR_INVALID,
  NBD_REP_ERR_POLICY,
  NBD_REP_ERR_UNKNOWN,
  NBD_REP_ERR_UNSUP,
  optionNames,
} from "../../protocols/nbd/nbd-constants.js";
import {
  checkClientFlags,
  decodeOption,
  encodeAck,
  encodeExportNameReply,
  encodeGreeting,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoString,
  encodeMetaContext,
  encodeOptionError,
  encodeRepServer,
  type NbdOption,
} from "../../protocols/nbd/nbd-handshake.js";
import { NbdOptionError } from "../../protocols/nbd/nbd-protocol-error.js";
import { AttachedExport } from "./attached-export.js";
import type { CowLayers } from "./cow-layers.js";
import {
  type NbdClientInfo,
  type NbdExportHandle,
  NbdExportRefused,
  type NbdExportSource,
} from "./nbd-export-source.js";

/** What the handshake settled when the client picked an export. */
export interface NbdNegotiated {
  readonly attached: AttachedExport;
  /** NBD_OPT_STRUCTURED_REPLY was agreed. */
  readonly structured: boolean;
  /** The id of base:allocation when it was selected for this export; undefined: no BLOCK_STATUS. */
  readonly blockStatusContext: number | undefined;
}

/** What the handshake phase asks of its connection. */
export interface NbdHandshakeLink {
  write(buf: Buffer): void;
  /** The client asked to end: close once the option is answered. */
  end(reason: string): void;
  /** A hard disconnect: the handshake cannot go on. */
  abort(reason: string): void;
  /**
   * The client picked an export and the reply that starts transmission is
   * queued. The connection owns `negotiated.attached` from here on.
   */
  transmit(negotiated: NbdNegotiated): void;
}

export interface NbdHandshakePhaseDeps {
  readonly source: NbdExportSource;
  readonly client: NbdClientInfo;
  readonly cow: CowLayers;
  readonly log: Logger;
  /** The framer waits after NBD_OPT_GO until told whether it succeeded. */
  readonly framer: Pick<NbdClientFramer, "enterTransmission" | "resumeOptions">;
  readonly link: NbdHandshakeLink;
}

/** Handshake flags offered in the greeting. */
const HANDSHAKE_FLAGS = NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES;
/** The one metadata context served (proto.md "base:allocation metadata context"). */
const BASE_ALLOCATION = "base:allocation";
const BASE_ALLOCATION_ID = 1;
/** What NBD_INFO_BLOCK_SIZE advertises: any alignment, 4 KiB preferred, 32 MiB per request. */
const BLOCK_MIN = 1;
const BLOCK_PREFERRED = 4096;

export class NbdHandshakePhase {
  readonly #d: NbdHandshakePhaseDeps;
  readonly #link: NbdHandshakeLink;
  readonly #log: Logger;
  #noZeroes = false;
  #structured = false;
  /** Export named by the last successful NBD_OPT_SET_META_CONTEXT that selected base:allocation. */
  #metaExport: string | undefined;

  constructor(deps: NbdHandshakePhaseDeps) {
    this.#d = deps;
    this.#link = deps.link;
    this.#log = deps.log;
  }

  /** S: the server's first bytes. */
  greet(): void {
    this.#link.write(encodeGreeting(HANDSHAKE_FLAGS));
  }

  /** C: the client's flags. Throws NbdProtocolError for a bit the greeting did not offer. */
  clientFlags(flags: number): void {
    checkClientFlags(flags, (HANDSHAKE_FLAGS & NBD_FLAG_NO_ZEROES) !== 0);
    this.#noZeroes = (flags & NBD_FLAG_C_NO_ZEROES) !== 0;
  }

  /** Answers one option. Rejects when the handshake cannot go on. */
  async option(code: number, data: Buffer): Promise<void> {
    let opt: NbdOption;
    try {
      opt = decodeOption(code, data);
    } catch (err) {
      if (!(err instanceof NbdOptionError)) throw err;
      // NBD_OPT_EXPORT_NAME cannot be answered with an error (proto.md).
      if (code === NBD_OPT_EXPORT_NAME) throw err;
      if (code === NBD_OPT_GO) this.#d.framer.resumeOptions();
      this.#log.debug({ option: optionNames[code] ?? code, err: err.message }, "nbd: invalid option");
      this.#link.write(encodeOptionError(code, NBD_REP_ERR_INVALID, err.message));
      return;
    }
    switch (opt.type) {
      case "abort":
        // The client drops the connection after the ACK; it MAY not wait for it.
        this.#link.write(encodeAck(code));
        this.#link.end("client aborted the handshake");
        return;
      case "list": {
        for (const e of await this.#d.source.list()) this.#link.write(encodeRepServer(e.name, e.description));
        this.#link.write(encodeAck(NBD_OPT_LIST));
        return;
      }
      case "structured-reply":
        this.#structured = true;
        this.#link.write(encodeAck(code));
        return;
      case "list-meta-context":
      case "set-meta-context":
        this.#metaContext(code, opt.type === "set-meta-context", opt.exportName, opt.queries);
        return;
      case "export-name":
        await this.#exportName(opt.name);
        return;
      case "info":
      case "go":
        await this.#infoOrGo(code, opt.type === "go", opt.name, opt.requests);
        return;
      case "unsupported":
        this.#link.write(
          encodeOptionError(code, NBD_REP_ERR_UNSUP, `option ${optionNames[code] ?? code} is not supported`),
        );
        return;
    }
  }

  #metaContext(code: number, set: boolean, exportName: string, queries: readonly string[]): void {
    if (set) this.#metaExport = undefined;
    if (!this.#structured) {
      // Block status replies are structured: the contexts need them first.
      this.#link.write(
        encodeOptionError(code, NBD_REP_ERR_INVALID, "negotiate NBD_OPT_STRUCTURED_REPLY first"),
      );
      return;
    }
    // LIST with no query lists everything; "base:" is the namespace wildcard
    // for LIST and selects nothing for SET (proto.md "The base: metadata namespace").
    const match = set
      ? queries.includes(BASE_ALLOCATION)
      : queries.length === 0 || queries.some((q) => q === BASE_ALLOCATION || q === "base:");
    if (match) {
      this.#link.write(encodeMetaContext(code, set ? BASE_ALLOCATION_ID : 0, BASE_ALLOCATION));
      if (set) this.#metaExport = exportName;
    }
    this.#link.write(encodeAck(code));
  }

  /** The export, null when there is none, or the source's refusal (the caller answers it). */
  async #open(name: string): Promise<NbdExportHandle | NbdExportRefused | null> {
    try {
      return await this.#d.source.open(name, this.#d.client);
    } catch (err) {
      if (err instanceof NbdExportRefused) return err;
      this.#log.error({ export: name, err: (err as Error).message }, "nbd: opening the export failed");
      return null;
    }
  }

  async #exportName(name: string): Promise<void> {
    const handle = await this.#open(name);
    if (handle instanceof NbdExportRefused) {
      // No error reply exists for NBD_OPT_EXPORT_NAME: the session just ends.
      this.#link.end(`refused: ${handle.message}`);
      return;
    }
    if (!handle) {
      // No error reply exists for NBD_OPT_EXPORT_NAME: the server MUST terminate the session.
      this.#link.abort(`no export '${name}'`);
      return;
    }
    const attached = await this.#attach(handle);
    this.#link.write(encodeExportNameReply(attached.handle.size, attached.flags, this.#noZeroes));
    this.#link.transmit(this.#negotiated(attached, name));
  }

  async #infoOrGo(code: number, go: boolean, name: string, requests: readonly number[]): Promise<void> {
    const handle = await this.#open(name);
    if (handle instanceof NbdExportRefused) {
      if (go) this.#d.framer.resumeOptions();
      this.#link.write(encodeOptionError(code, NBD_REP_ERR_POLICY, handle.message));
      this.#link.end(`refused: ${handle.message}`);
      return;
    }
    if (!handle) {
      if (go) this.#d.framer.resumeOptions();
      this.#link.write(encodeOptionError(code, NBD_REP_ERR_UNKNOWN, `no export '${name}'`));
      return;
    }
    let attached: AttachedExport | undefined;
    let flags: number;
    if (go) {
      try {
        attached = await this.#attach(handle);
      } catch (err) {
        this.#d.framer.resumeOptions();
        this.#log.error(
          { export: handle.name, err: (err as Error).message },
          "nbd: copy-on-write layer failed",
        );
        this.#link.write(
          encodeOptionError(code, NBD_REP_ERR_POLICY, "the copy-on-write layer could not be created"),
        );
        return;
      }
      flags = attached.flags;
    } else {
      flags = AttachedExport.flagsFor(handle, this.#structured);
      await handle.release();
    }
    // NBD_INFO_EXPORT is mandatory; the others only when asked for.
    this.#link.write(encodeInfoExport(code, handle.size, flags));
    for (const info of new Set(requests)) {
      if (info === NBD_INFO_NAME) this.#link.write(encodeInfoString(code, NBD_INFO_NAME, handle.name));
      else if (info === NBD_INFO_DESCRIPTION) {
        this.#link.write(encodeInfoString(code, NBD_INFO_DESCRIPTION, handle.description));
      } else if (info === NBD_INFO_BLOCK_SIZE) {
        this.#link.write(encodeInfoBlockSize(code, BLOCK_MIN, BLOCK_PREFERRED, NBD_MAX_PAYLOAD_BYTES));
      }
    }
    this.#link.write(encodeAck(code));
    if (attached) {
      this.#d.framer.enterTransmission();
      this.#link.transmit(this.#negotiated(attached, name));
    }
  }

  #attach(handle: NbdExportHandle): Promise<AttachedExport> {
    return AttachedExport.attach(handle, this.#d.cow, this.#structured);
  }

  /** `requestedName` is what the client sent, which base:allocation was selected for. */
  #negotiated(attached: AttachedExport, requestedName: string): NbdNegotiated {
    const blockStatus = this.#structured && this.#metaExport === requestedName;
    return {
      attached,
      structured: this.#structured,
      blockStatusContext: blockStatus ? BASE_ALLOCATION_ID : undefined,
    };
  }
}
