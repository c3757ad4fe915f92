/**
 * Child process of the graph-cache kill test: starts a cold load and, once the first tensor of
 * external data is on disk, says `converting` and blocks until the parent SIGKILLs it.
 */
import { Engine } from '../../../src/engine/api';

const [dir, cacheDir] = process.argv.slice(2) as [string, string];
const engine = new Engine({ externalThresholdBytes: 0 });
void engine.load(dir, { cache: { dir: cacheDir } }, {
  onProgress: (p) => {
    if (!p.message?.startsWith('Converting')) return;
    process.stdout.write('converting\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  },
});
