import { randomBytes } from 'node:crypto';

export const LABEL_RUN_ID = 'shakedown.io/run-id';
export const LABEL_EXPERIMENT = 'shakedown.io/experiment';

/** A short id that is a valid label value and DNS label: 10 lowercase base-36 characters. */
export function newRunId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  const bytes = randomBytes(10);
  let id = '';
  for (const b of bytes) id += alphabet[b % 36];
  // Start with a letter so the id can prefix object names.
  return `r${id.slice(1)}`;
}

/** What newRunId makes: "r" and 9 lowercase base-36 characters. */
export const RUN_ID_PATTERN = /^r[0-9a-z]{9}$/;

/** Whether a string can be a run id (`shakedown cleanup --run-id` refuses anything else). */
export const isRunId = (id: string): boolean => RUN_ID_PATTERN.test(id);

/** The labels every object created by a run carries; `shakedown cleanup` selects on them. */
export function runLabels(runId: string, experiment: string): Record<string, string> {
  return { [LABEL_RUN_ID]: runId, [LABEL_EXPERIMENT]: experiment };
}
