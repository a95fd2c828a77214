// The journal a run starts with: who runs what, where, with which parameters; nothing recorded yet.
import { hostname } from 'node:os';
import type { z } from 'zod';
import { JOURNAL_SCHEMA, type Journal } from '../journal/schema.ts';
import type { AnyExperiment } from './experiment.ts';
import { displayParams, type ParamsSchema } from './params.ts';
import type { RunOptions } from './runner.ts';
import { nowIso } from './time.ts';
import { SHAKEDOWN_VERSION } from './version.ts';

export function newJournal(def: AnyExperiment, params: z.output<ParamsSchema>, opts: RunOptions): Journal {
  return {
    schema: JOURNAL_SCHEMA,
    runId: opts.runId,
    experiment: { name: def.name, description: def.description },
    parameters: displayParams(def.params, params),
    environment: {
      shakedownVersion: SHAKEDOWN_VERSION,
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      hostname: hostname(),
      pid: process.pid,
      ...opts.environment,
    },
    startedAt: nowIso(),
    status: 'running',
    phases: [],
    events: [],
    checks: [],
    series: [],
    windows: [],
    measurements: [],
    metrics: [],
    tables: [],
    changes: [],
    rollbacks: [],
    teardowns: [],
  };
}
