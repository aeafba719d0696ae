// Exit codes of the `autoresearch` command.
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Bad input: an invalid spec, flag or setting. Nothing was changed. */
  invalidInput: 2,
  /** Stopped by Ctrl-C, after recording what ran and writing the outputs. */
  interrupted: 130,
} as const;
