/**
 * Why `bootfleet init` cannot write a config, and what to do instead.
 * main.ts prints `message` and `hint` the way it prints every CLI error.
 */
export class SetupError extends Error {
  readonly code = "SETUP_FAILED";
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = "SetupError";
    this.hint = hint;
  }
}
