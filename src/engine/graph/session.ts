/**
 * Turns a GraphBuilder into an onnxruntime session: weights inline when small, otherwise as
 * external data in a private temp folder (ORT refuses protobufs over 2 GiB). Either way the
 * weights are streamed one tensor at a time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, type Session, type SessionOptions } from '../runtime/ort';
import type { GraphBuilder } from './builder';
import { initializerBytes, serializeExternal, serializeInline } from './serialize';

/**
 * ORT refuses protobufs over 2 GiB, but external data pays off well before that: onnxruntime
 * memory-maps it instead of copying tensors out of the protobuf. Measured on a GPT-2-small-shaped
 * model (0.5 GB of weights): session RSS +1.5 GB inline vs +0.8 GB external, peak +1.5 GB vs
 * +0.8 GB, for ~0.4 s more to create. Small models stay inline (no temp files).
 */
export const DEFAULT_EXTERNAL_THRESHOLD = 256 * 1024 * 1024;

export interface SessionPlacement extends SessionOptions {
  /** Initializer bytes above which weights go to external data (tests lower it). */
  externalThresholdBytes?: number;
  /** Parent folder of the temp folder (default: os.tmpdir()). */
  tmpRoot?: string;
}

export interface OwnedSession {
  session: Session;
  /** The temp folder holding model.onnx + model.onnx.data, or null when inline. */
  dir: string | null;
  close(): Promise<void>;
}

export async function openSession(g: GraphBuilder, p: SessionPlacement): Promise<OwnedSession> {
  const threshold = p.externalThresholdBytes ?? DEFAULT_EXTERNAL_THRESHOLD;
  if (initializerBytes(g) <= threshold) {
    const session = await createSession(serializeInline(g), p);
    return { session, dir: null, close: () => session.release() };
  }
  const dir = mkdtempSync(join(p.tmpRoot ?? tmpdir(), 'sinklens-onnx-'));
  try {
    const bytes = serializeExternal(g, { path: join(dir, 'model.onnx.data'), location: 'model.onnx.data' });
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, bytes);
    const session = await createSession(modelPath, p);
    // The tensors are now mapped or copied: on POSIX the names can go at once, so a killed engine
    // leaves no multi-GB temp file behind (Windows cannot unlink a mapped file; dispose does it).
    if (process.platform !== 'win32') rmSync(dir, { recursive: true, force: true });
    return {
      session,
      dir,
      close: async () => {
        try {
          await session.release();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
