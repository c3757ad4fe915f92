/**
 * Turns a GraphBuilder into an onnxruntime session: weights inline when small, otherwise as
 * external data in a private temp folder (ORT refuses protobufs over 2 GiB). Either way the
 * weights are streamed one tensor at a time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, type Session } from '../runtime/ort';
import type { GraphBuilder } from './builder';
import { initializerBytes, serializeExternal, serializeInline } from './serialize';

/** Below ORT's 2 GiB protobuf limit with room for the graph itself. */
export const DEFAULT_EXTERNAL_THRESHOLD = 1.9e9;

export interface SessionPlacement {
  threads: number;
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
    const session = await createSession(serializeInline(g), { threads: p.threads });
    return { session, dir: null, close: () => session.release() };
  }
  const dir = mkdtempSync(join(p.tmpRoot ?? tmpdir(), 'sinklens-onnx-'));
  try {
    const bytes = serializeExternal(g, { path: join(dir, 'model.onnx.data'), location: 'model.onnx.data' });
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, bytes);
    const session = await createSession(modelPath, { threads: p.threads });
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
