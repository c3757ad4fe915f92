// A stand-in engine process for the crash-recovery tests: speaks the engine protocol
// (src/shared/protocol/engine.ts) over the Node IPC channel, and misbehaves on demand.
// engine/ping -> {pid}; engine/analyze with text:
//   'crash'  exits with code 3 mid-request,   'kill' SIGKILLs itself (like the OOM killer),
//   'hang'   never answers (until cancelled),  'bad' sends a malformed response,
//   'env'    answers with its GLIBC_TUNABLES,
//   'busy:N' blocks its thread for N ms (like a long native forward: a cancel cannot be seen), then answers,
//   anything else: two progress notifications, a log line, then a result echoing the text.
import process from 'node:process';

const running = new Map();
let seq = 0;
const send = (method, params, completionId) =>
  process.send({ id: `e${++seq}`, method, params, ...(completionId ? { completionId } : {}) });
const reply = (req, payload) => send(`${req.method}/response`, payload, req.id);

process.stderr.write(`fake engine ${process.pid} up\n`);

process.on('message', (m) => {
  if (m.method === 'engine/cancel') {
    const req = running.get(m.params.requestId);
    if (req) {
      running.delete(req.id);
      reply(req, { ok: false, error: { code: 'cancelled', message: 'cancelled by request' } });
    }
    return;
  }
  if (m.method === 'engine/ping') return reply(m, { ok: true, value: { pid: process.pid, versions: { node: process.version } } });
  if (m.method !== 'engine/analyze') return reply(m, { ok: false, error: { code: 'badRequest', message: `unknown ${m.method}` } });
  const text = m.params.text;
  if (text === 'crash') return setTimeout(() => process.exit(3), 20);
  if (text === 'kill') return setTimeout(() => process.kill(process.pid, 'SIGKILL'), 20);
  if (text === 'env') return reply(m, { ok: true, value: { glibcTunables: process.env.GLIBC_TUNABLES ?? null } });
  if (text === 'bad') return send(`${m.method}/response`, { nope: 1 }, m.id);
  if (text.startsWith('busy:')) {
    const until = Date.now() + Number(text.slice(5));
    while (Date.now() < until) {
      // Busy, like onnxruntime's run(): the cancel message waits in the queue.
    }
  }
  running.set(m.id, m);
  if (text === 'hang') return;
  send('engine/didProgress', { requestId: m.id, progress: { stage: 'tokenize', fraction: 0.25 } });
  send('engine/didLog', { level: 'debug', message: `analyzing ${text.length} chars` });
  send('engine/didProgress', { requestId: m.id, progress: { stage: 'run', fraction: 0.5 } });
  setTimeout(() => {
    if (!running.delete(m.id)) return;
    // Typed arrays survive the 'advanced' serialization; the reply carries one to prove it.
    reply(m, { ok: true, value: { text, pid: process.pid, modelDir: m.params.modelDir, bytes: new Float32Array([1.5, 2.5]) } });
  }, 10);
});
