import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { engineEnv, engineExecArgv, EXPOSE_GC_FLAG, hasEngineEnv, mallocSetting, RELAXED_SIMD_FLAG } from '../../../src/node/engineEnv';

const ROOT = join(__dirname, '..', '..', '..');

describe('engine environment (glibc huge pages)', () => {
  it('adds glibc.malloc.hugetlb=1 on Linux, after the tunables already set', () => {
    assert.equal(engineEnv({}, 'linux')['GLIBC_TUNABLES'], 'glibc.malloc.hugetlb=1');
    assert.equal(engineEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux')['GLIBC_TUNABLES'], 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    assert.equal(engineEnv({ PATH: '/bin' }, 'linux')['PATH'], '/bin');
  });

  it('leaves a hugetlb value the user chose, and every other platform, alone', () => {
    const off = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2' };
    assert.equal(engineEnv(off, 'linux')['GLIBC_TUNABLES'], off.GLIBC_TUNABLES);
    assert.equal(hasEngineEnv(off, 'linux'), true);
    assert.equal(hasEngineEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlbx=1' }, 'linux'), false);
    assert.equal(mallocSetting({}, 'linux'), 'GLIBC_TUNABLES=(unset)');
    assert.equal(mallocSetting(off, 'linux'), `GLIBC_TUNABLES=${off.GLIBC_TUNABLES}`);
    for (const platform of ['darwin', 'win32'] as const) {
      assert.equal(mallocSetting(off, platform), null);
      assert.equal(engineEnv({}, platform)['GLIBC_TUNABLES'], undefined);
      assert.equal(hasEngineEnv({}, platform), true);
    }
  });

  it('adds --expose-gc always and the relaxed-SIMD flag on V8 11 (Node 20) only, each once', () => {
    assert.deepEqual(engineExecArgv(['--expose-gc'], '11.3.244.8-node.38'), ['--expose-gc', RELAXED_SIMD_FLAG]);
    assert.deepEqual(engineExecArgv([RELAXED_SIMD_FLAG], '11.3.244.8-node.38'), [RELAXED_SIMD_FLAG, EXPOSE_GC_FLAG]);
    assert.deepEqual(engineExecArgv(['--expose_gc'], '12.4.254.21-node.33'), ['--expose_gc']);
    assert.deepEqual(engineExecArgv([], '12.4.254.21-node.33'), [EXPOSE_GC_FLAG]);
    assert.deepEqual(engineExecArgv([], '10.2.154.26-node.36'), [EXPOSE_GC_FLAG]);
  });

  it('returns a copy, never the environment passed in', () => {
    const env = { A: '1' };
    const out = engineEnv(env, 'linux');
    assert.notEqual(out, env);
    assert.deepEqual(env, { A: '1' });
  });

  it('the CLI runs itself again with the tunable on Linux and passes the exit code on', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
    const env = { ...process.env };
    delete env['GLIBC_TUNABLES'];
    const cli = join(ROOT, 'bin', 'sinklens.js');
    // `providers` prints the malloc setting of the process that ran the command.
    const providers = spawnSync(process.execPath, [cli, 'providers'], { env, encoding: 'utf8' });
    assert.equal(providers.status, 0, providers.stderr);
    assert.match(providers.stdout, /^malloc\s+GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1$/m);
    // Node 20 gets relaxed SIMD through the relaunch's flag, later runtimes have it: the fused build runs.
    assert.match(providers.stdout, /^spectra\s+WebAssembly relaxed SIMD \(fused multiply-adds\)$/m);
    // A tunable the user set stays as it is.
    const own = spawnSync(process.execPath, [cli, 'providers'], { env: { ...env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, encoding: 'utf8' });
    assert.match(own.stdout, /^malloc\s+GLIBC_TUNABLES=glibc\.malloc\.hugetlb=0$/m);
    // A relaunched process never relaunches again, whatever its environment says.
    const guarded = spawnSync(process.execPath, [cli, 'providers'], { env: { ...env, SINKLENS_RELAUNCHED: '1' }, encoding: 'utf8' });
    assert.match(guarded.stdout, /^malloc\s+GLIBC_TUNABLES=\(unset\)$/m);
    // `sinklens` with no command prints its help and exits 2: the relaunched process's code comes back.
    const bare = spawnSync(process.execPath, [cli], { env, encoding: 'utf8' });
    assert.equal(bare.status, 2);
  });

  it('a CLI killed by a signal ends with that signal, not a normal exit', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
    const env = { ...process.env };
    delete env['GLIBC_TUNABLES'];
    const { spawn } = await import('node:child_process');
    // `analyze` with text on stdin waits for input: long enough to be stopped.
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sinklens.js'), 'analyze', '--model', join(ROOT, 'models', 'sinklens-tiny')], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    const early = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 1500))]);
    assert.equal(early, null, `the CLI should still wait for its prompt on stdin: ${stderr}`);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.equal(code, null, stderr);
    assert.equal(signal, 'SIGTERM');
  });

  it('a relaunched CLI ends when its parent is SIGKILLed (which it cannot pass on)', { skip: process.platform !== 'linux' && 'Linux only (reads /proc)' }, async () => {
    const env = { ...process.env };
    delete env['GLIBC_TUNABLES'];
    const { spawn } = await import('node:child_process');
    // stdin is a FIFO this test holds open for writing: the prompt never ends, whoever else closes what.
    const dir = mkdtempSync(join(tmpdir(), 'sinklens-fifo-'));
    const fifo = join(dir, 'stdin');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, 'r+');
    const parent = spawn(process.execPath, [join(ROOT, 'bin', 'sinklens.js'), 'analyze', '--model', join(ROOT, 'models', 'sinklens-tiny')], { env, stdio: [fd, 'ignore', 'ignore'] });
    const parentPid = parent.pid as number;
    // The relaunched child waits for its prompt on stdin; find it by its parent pid.
    const childOf = (ppid: number): number | null => {
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        try {
          const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
          if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) return Number(name);
        } catch {
          // gone meanwhile
        }
      }
      return null;
    };
    let child: number | null = null;
    for (let i = 0; i < 50 && child === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      child = childOf(parentPid);
    }
    assert.ok(child, 'the CLI started a relaunched child');
    parent.kill('SIGKILL');
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 100));
    const stillThere = alive(child);
    if (stillThere) process.kill(child, 'SIGKILL');
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(stillThere, false, 'the relaunched child outlived its SIGKILLed parent');
  });
});
