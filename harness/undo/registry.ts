// Undo kinds of users' own faults, registered by name from their own module. The journal names
// the module beside the kind's data, so `shakedown cleanup --run-id` in another process can load
// it and run the very undo the run's rollback would have run. The registry lives on globalThis:
// a user's file imports 'shakedown' from its own project, which may be another copy than the
// CLI's (a global install), and both must see one registry.
import type { ClusterSession } from '../cluster/session.ts';

/** What an undo met: `done` it reverted the change now, `unchanged` it was already reverted, `gone` its target no longer exists. */
export interface UndoResult {
  /** `done`, `unchanged` or `gone`, as above: the two last are no failure. */
  result: 'done' | 'unchanged' | 'gone';
  /** One line for the user: what was found and what was done. */
  detail: string;
}

/** The undo of one kind of change, from its data alone (no live state of the run that made it). */
export type UndoFunction<D> = (cluster: ClusterSession, data: D, options: { runId: string; signal: AbortSignal }) => Promise<UndoResult | void>;

/** A registered undo kind: its name, the module that registers it, and the undo itself. */
export interface UndoKind<D extends Record<string, unknown>> {
  /** The kind's name, like `my-team/configmap-value`; journaled with each change's data. */
  readonly type: string;
  /** URL of the module whose evaluation registers this kind (its `import.meta.url`). */
  readonly module: string;
  /** The undo itself; idempotent (undoing twice, or what is gone, is no error). */
  readonly undo: UndoFunction<D>;
}

const KEY = Symbol.for('shakedown.undo-kinds');
type Registry = Map<string, UndoKind<Record<string, unknown>>>;
const registry = (): Registry => ((globalThis as Record<symbol, Registry | undefined>)[KEY] ??= new Map<string, UndoKind<Record<string, unknown>>>());

const TYPE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Registers an undo kind, at the top level of the module that defines the fault: `module` is that
 * module's `import.meta.url`, `type` a name like `my-team/configmap-value`. Undo functions must be
 * idempotent (undoing twice, or undoing what is gone, is not an error).
 */
export function defineUndo<D extends Record<string, unknown>>(module: string, type: string, undo: UndoFunction<D>): UndoKind<D> {
  if (!TYPE.test(type)) throw new Error(`undo kind "${type}" must be named like my-team/configmap-value (lowercase, one "/")`);
  if (!/^file:\/\//.test(module)) throw new Error(`undo kind ${type}: its module must be the defining file's import.meta.url (file://...), not "${module}"`);
  const kinds = registry();
  const known = kinds.get(type);
  if (known && known.module !== module) throw new Error(`undo kind ${type} is registered twice: by ${known.module} and by ${module}`);
  const kind: UndoKind<D> = { type, module, undo };
  kinds.set(type, kind as unknown as UndoKind<Record<string, unknown>>);
  return kind;
}

/** The kind registered under `type`, if its module has been loaded. */
export const undoKindOf = (type: string): UndoKind<Record<string, unknown>> | undefined => registry().get(type);
