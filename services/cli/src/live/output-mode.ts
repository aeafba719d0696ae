// How `run` and `status --watch` show progress: a live panel on a terminal, one line per event anywhere
// else (pipes, CI, the tests that read those lines), and colour only on a terminal without NO_COLOR.

export interface OutputMode {
  panel: boolean;
  colour: boolean;
}

export interface OutputChoice {
  isTTY: boolean;
  /** NO_COLOR set to anything but the empty string (no-color.org). */
  noColor: boolean;
  /** --plain: lines even on a terminal. */
  plain?: boolean;
  /** --panel: the panel even when stdout is not a terminal (to record it, or test it). */
  panel?: boolean;
}

export function chooseOutputMode(choice: OutputChoice): OutputMode {
  return {
    panel: choice.plain ? false : choice.panel === true || choice.isTTY,
    colour: choice.isTTY && !choice.noColor,
  };
}
