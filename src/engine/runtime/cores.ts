/**
 * The intra-op thread count a session gets when the user leaves `threads` at 0: the physical cores
 * this process may run on. onnxruntime's own default is its cpuinfo core count, and where cpuinfo
 * cannot read the processor (virtual machines with a generic CPU model) it guesses half the logical
 * processors, assuming two hyper-threads a core: on this project's 2-vCPU VM (two cores, one thread
 * each) it ran every forward on one thread, 1.6-1.9x slower (docs/PERFORMANCE.md). On Linux the
 * kernel says what the process has: its affinity mask (`Cpus_allowed_list`), each CPU's core (its
 * siblings list), and a cgroup v2 CPU quota (`cpu.max`, e.g. a container started with --cpus 2).
 * Elsewhere onnxruntime's default stands (null).
 */
import { readFileSync } from 'node:fs';

/** Reads a text file, or null when it cannot (absent, not Linux). */
export type ReadText = (path: string) => string | null;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** "0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11]; null when malformed. */
export function parseCpuList(list: string): number[] | null {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65536) return null;
    for (let c = lo; c <= hi; c++) cpus.push(c);
  }
  return cpus.length ? cpus : null;
}

/** CPUs of a cgroup v2 `cpu.max` ("200000 100000" -> 2, rounded up); null for "max" or malformed. */
export function parseCpuMax(text: string): number | null {
  const m = /^(\d+)\s+(\d+)\s*$/.exec(text.trim());
  if (!m) return null;
  const quota = Number(m[1]);
  const period = Number(m[2]);
  return period > 0 && quota > 0 ? Math.max(1, Math.ceil(quota / period)) : null;
}

/** The process's cgroup v2 CPU quota in CPUs, or null (none, cgroup v1, not Linux). */
function cgroupCpus(read: ReadText): number | null {
  const cgroup = read('/proc/self/cgroup');
  const path = cgroup ? /^0::(\/.*)$/m.exec(cgroup)?.[1] : undefined;
  if (path === undefined) return null;
  const max = read(`/sys/fs/cgroup${path === '/' ? '' : path}/cpu.max`);
  return max === null ? null : parseCpuMax(max);
}

/**
 * Physical cores the process may run on (Linux), or null where the kernel does not say: distinct
 * cores among the CPUs of the affinity mask (hyper-threads of one core count once), at most the
 * cgroup's CPU quota.
 */
export function physicalCores(read: ReadText = readText): number | null {
  const status = read('/proc/self/status');
  const allowed = status ? /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] : undefined;
  const cpus = allowed ? parseCpuList(allowed) : null;
  if (!cpus) return null;
  const cores = new Set<string>();
  for (const cpu of cpus) {
    const topology = `/sys/devices/system/cpu/cpu${cpu}/topology`;
    const siblings = read(`${topology}/core_cpus_list`) ?? read(`${topology}/thread_siblings_list`);
    // A CPU whose core the kernel does not describe counts as a core of its own.
    cores.add(siblings === null ? `cpu${cpu}` : siblings.trim());
  }
  const quota = cgroupCpus(read);
  return quota === null ? cores.size : Math.min(cores.size, quota);
}

let detected: number | null | undefined;

/** Intra-op threads for a session: the asked count, or for 0 the physical cores (0 = onnxruntime's default where unknown). */
export function intraOpThreads(asked: number): number {
  if (asked > 0) return asked;
  if (detected === undefined) detected = physicalCores();
  return detected ?? 0;
}
