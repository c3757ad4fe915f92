/**
 * A small argv parser for the `sinklens` CLI: `--name value`, `--name=value`, boolean flags and
 * positionals. Unknown options are errors (exit 2 with one clear line), so typos never pass silently.
 */
import { SinkLensError } from '../../shared/errors';

export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  values: Map<string, string[]>;
  flags: Set<string>;
}

export interface ArgSpec {
  /** Options that take a value. */
  values: readonly string[];
  /** Boolean flags. */
  flags: readonly string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const out: ParsedArgs = { command: undefined, positionals: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--') || a === '--') {
      if (out.command === undefined) out.command = a;
      else out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} is a flag and takes no value.`);
      out.flags.add(name);
    } else if (spec.values.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value.`);
      out.values.set(name, [...(out.values.get(name) ?? []), v]);
    } else {
      throw new UsageError(`Unknown option --${name}. Run 'sinklens --help' for the options.`);
    }
  }
  return out;
}

export function one(p: ParsedArgs, name: string): string | undefined {
  const v = p.values.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function num(p: ParsedArgs, name: string, opts: { integer?: boolean } = {}): number | undefined {
  const s = one(p, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'} (got '${s}').`);
  }
  return n;
}

/** Validation errors the engine's parsers and resolver throw (badRequest) are the user's flags: usage errors (exit 2). */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (SinkLensError.is(e, 'badRequest')) throw new UsageError(e.message);
    throw e;
  }
}
