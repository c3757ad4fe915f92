/**
 * Start-up cleaning of files left by killed runs: staging folders (`<cache>/staging/<pid>-<n>`)
 * whose process is gone, and the `sinklens-onnx-*` temp folders older versions wrote into
 * os.tmpdir(), when no live process has a file in them open or mapped.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a staging folder name starts with (`<pid>-<n>`), or null. */
export function stagingPid(name: string): number | null {
  const m = /^(\d+)-/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Removes staging folders of dead processes; returns the paths removed. */
export function sweepStaging(stagingRoot: string): string[] {
  if (!existsSync(stagingRoot)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(stagingRoot)) {
    const pid = stagingPid(name);
    if (pid === process.pid || (pid !== null && pidAlive(pid))) continue;
    const p = join(stagingRoot, name);
    rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

const LEGACY_PREFIX = 'sinklens-onnx-';
const LEGACY_MIN_AGE_MS = 60 * 60 * 1000;

/** Removes `sinklens-onnx-*` folders in `root` that no live process uses; returns the paths removed. */
export function sweepLegacyTemp(root: string = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(LEGACY_PREFIX));
  } catch {
    return [];
  }
  if (!names.length) return [];
  const inUse = process.platform === 'linux' ? pathsInUse() : null;
  const removed: string[] = [];
  for (const name of names) {
    const p = join(root, name);
    const busy = inUse ? [...inUse].some((f) => f.startsWith(`${p}/`)) : Date.now() - newestMtime(p) < LEGACY_MIN_AGE_MS;
    if (busy) continue;
    rmSync(p, { recursive: true, force: true });
    removed.push(p);
  }
  return removed;
}

/** Linux: every path some process of ours has open (/proc/<pid>/fd) or mapped (/proc/<pid>/maps). */
function pathsInUse(): Set<string> {
  const out = new Set<string>();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          out.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          // The fd closed meanwhile.
        }
      }
      for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
        const i = line.indexOf('/');
        if (i >= 0) out.add(line.slice(i).replace(/ \(deleted\)$/, ''));
      }
    } catch {
      // Another user's process, or it exited: not ours to judge.
    }
  }
  return out;
}

function newestMtime(dir: string): number {
  let t = 0;
  try {
    t = statSync(dir).mtimeMs;
    for (const n of readdirSync(dir)) t = Math.max(t, statSync(join(dir, n)).mtimeMs);
  } catch {
    // Vanished meanwhile.
  }
  return t;
}
