/**
 * threads 0 = the physical cores the process may use, read from the kernel (runtime/cores.ts): the
 * parsers against hand-written /proc and /sys texts, and a real session's pool against this machine.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { DT, GraphBuilder } from '../../../src/engine/graph/builder';
import { serializeInline } from '../../../src/engine/graph/serialize';
import { intraOpThreads, parseCpuList, parseCpuMax, physicalCores, type ReadText } from '../../../src/engine/runtime/cores';
import { createSession } from '../../../src/engine/runtime/ort';

/** A fake /proc and /sys: path -> text. */
function files(map: Record<string, string>): ReadText {
  return (path) => map[path] ?? null;
}

/** Topology of `n` CPUs where CPU c sits on core coreOf(c). */
function topology(n: number, coreOf: (cpu: number) => number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let c = 0; c < n; c++) {
    const siblings = Array.from({ length: n }, (_, i) => i).filter((i) => coreOf(i) === coreOf(c));
    out[`/sys/devices/system/cpu/cpu${c}/topology/core_cpus_list`] = `${siblings.join(',')}\n`;
  }
  return out;
}

describe('runtime/cores', () => {
  it('parses CPU lists and cgroup quotas', () => {
    assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
    assert.deepEqual(parseCpuList('5'), [5]);
    assert.equal(parseCpuList('3-1'), null);
    assert.equal(parseCpuList('a-b'), null);
    assert.equal(parseCpuMax('200000 100000\n'), 2);
    assert.equal(parseCpuMax('150000 100000'), 2, 'a fractional quota rounds up');
    assert.equal(parseCpuMax('50000 100000'), 1);
    assert.equal(parseCpuMax('max 100000'), null);
  });

  it('counts the cores of the allowed CPUs, hyper-threads once, capped by the cgroup quota', () => {
    // 8 logical CPUs, 4 cores with two threads each (CPU c and c + 4 share a core), as on a laptop.
    const smt = topology(8, (c) => c % 4);
    const status = (list: string) => `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${list}\nMems_allowed_list:\t0\n`;
    assert.equal(physicalCores(files({ ...smt, '/proc/self/status': status('0-7') })), 4);
    assert.equal(physicalCores(files({ ...smt, '/proc/self/status': status('0,4') })), 1, 'two threads of one core');
    assert.equal(physicalCores(files({ ...smt, '/proc/self/status': status('0-2') })), 3);
    // Two vCPUs that are two cores (this project's VM), where onnxruntime guessed one.
    const vm = topology(2, (c) => c);
    assert.equal(physicalCores(files({ ...vm, '/proc/self/status': status('0-1') })), 2);
    // A container limited to 2 CPUs on the 8-thread machine: its cgroup v2 quota.
    const container = { ...smt, '/proc/self/status': status('0-7'), '/proc/self/cgroup': '0::/docker/abc\n', '/sys/fs/cgroup/docker/abc/cpu.max': '200000 100000\n' };
    assert.equal(physicalCores(files(container)), 2);
    assert.equal(physicalCores(files({ ...container, '/sys/fs/cgroup/docker/abc/cpu.max': 'max 100000\n' })), 4, 'no quota');
    assert.equal(physicalCores(files({ ...smt, '/proc/self/status': status('0-7'), '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '100000 100000' })), 1, 'the root cgroup');
    // CPUs without topology files count one core each; no status file (not Linux): unknown.
    assert.equal(physicalCores(files({ '/proc/self/status': status('0-2') })), 3);
    assert.equal(physicalCores(files({})), null);
  });

  it('an asked count is kept; 0 becomes what the kernel says', () => {
    assert.equal(intraOpThreads(3), 3);
    const cores = physicalCores();
    if (process.platform === 'linux') {
      assert.ok(cores !== null && cores >= 1 && cores <= availableParallelism(), `${cores} cores of ${availableParallelism()} CPUs`);
      assert.equal(intraOpThreads(0), cores);
    } else assert.equal(intraOpThreads(0), cores ?? 0);
  });

  it('a session with threads 0 starts a pool of that many threads (Linux)', async (t) => {
    if (process.platform !== 'linux') return t.skip('counts /proc/self/task');
    const g = new GraphBuilder();
    const x = g.input('x', DT.FLOAT, ['n', 3]);
    g.output(g.op('MatMul', '/m', [x, g.f32([1, 2, 3, 4, 5, 6], [3, 2])]), 'y', DT.FLOAT, ['n', 2]);
    const model = serializeInline(g);
    const tasks = () => readdirSync('/proc/self/task').length;
    // onnxruntime's pool has threads - 1 threads of its own (the caller's thread is the first); a first session
    // starts whatever else the binding starts once.
    const warm = await createSession(model, { threads: 1 });
    const t0 = tasks();
    const one = await createSession(model, { threads: 1 });
    const t1 = tasks();
    const auto = await createSession(model, { threads: 0 });
    const t2 = tasks();
    try {
      assert.equal(t1 - t0, 0, 'threads 1: no pool thread');
      assert.equal(auto.threads, physicalCores());
      assert.equal(t2 - t1, auto.threads - 1, `threads 0 on ${auto.threads} cores: ${t2 - t1} pool threads`);
    } finally {
      await Promise.all([warm.release(), one.release(), auto.release()]);
    }
  });
});
