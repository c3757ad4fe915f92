/**
 * ModelProto bytes from a GraphBuilder: the only protobuf touchpoint. Initializer bytes are
 * streamed one tensor at a time, either into one preallocated buffer (inline) or into an external
 * data file next to the .onnx file (models over ORT's 2 GiB protobuf limit), so the process never
 * holds two full copies of the weights.
 */
import { createHash } from 'node:crypto';
import { close, closeSync, open, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { onnx } from 'onnx-proto';
import type { AttrValue, GraphBuilder, GraphNode, Initializer, ValueInfo } from './builder';

export const IR_VERSION = 10;
export const OPSET = 23;
/** External data offsets are page aligned so onnxruntime can memory-map the tensors in place. */
const EXTERNAL_ALIGN = 4096;

/** Where external data goes: the file `location` (relative to the .onnx file) at `path`. */
export interface ExternalTarget {
  path: string;
  location: string;
}

function attrProto(name: string, a: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.v };
    case 'float':
      return { name, type: T.FLOAT, f: a.v };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.v] };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.v] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.v) };
    case 'graph':
      return { name, type: T.GRAPH, g: graphProto(a.v, name) };
  }
}

function nodeProto(n: GraphNode): onnx.INodeProto {
  return {
    name: n.name,
    opType: n.opType,
    domain: n.domain,
    input: [...n.inputs],
    output: [...n.outputs],
    attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v)),
  };
}

function valueInfo(v: ValueInfo): onnx.IValueInfoProto {
  if (v.dims === null) return { name: v.name, type: { tensorType: { elemType: v.dataType } } };
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: v.dataType, shape: { dim } } } };
}

/** Nodes, inputs and outputs; initializers are streamed separately (main graph only). */
function graphProto(g: GraphBuilder, name: string): onnx.IGraphProto {
  return { name, node: g.nodes.map(nodeProto), input: g.inputs.map(valueInfo), output: g.outputs.map(valueInfo) };
}

/** Protobuf varint bytes of a non-negative integer below 2^53. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** A length-delimited field header: tag (field << 3 | 2) then the length. */
function lenField(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varint((field << 3) | 2), ...varint(length)]);
}

const GRAPH_FIELD_IN_MODEL = 7;
const INITIALIZER_FIELD_IN_GRAPH = 5;
const RAW_DATA_FIELD_IN_TENSOR = 9;

function modelHeader(): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: 'sinklens',
    // com.microsoft for MatMulNBits (quantised linears).
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
  }).finish();
}

function graphSkeleton(g: GraphBuilder): Uint8Array {
  return onnx.GraphProto.encode(graphProto(g, 'sinklens')).finish();
}

/** A byte plan: pieces are either bytes known now or an initializer's raw data produced later. */
type Piece = Uint8Array | Initializer;
type ExternalEntries = (init: Initializer) => onnx.IStringStringEntryProto[] | null;

/**
 * Tensors below this stay inline even in an external-data model: ORT's shape inference must read
 * shape constants (Reshape targets, Split sizes) from the protobuf itself.
 */
export const EXTERNAL_MIN_BYTES = 1024;

function plan(g: GraphBuilder, external: ExternalEntries): Piece[] {
  const graphPieces: Piece[] = [graphSkeleton(g)];
  for (const init of g.initializers) {
    const entries = external(init);
    const meta = onnx.TensorProto.encode({
      name: init.name,
      dims: [...init.dims],
      dataType: init.dataType,
      ...(entries ? { dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: entries } : {}),
    }).finish();
    if (entries) {
      graphPieces.push(lenField(INITIALIZER_FIELD_IN_GRAPH, meta.length), meta);
    } else {
      const raw = lenField(RAW_DATA_FIELD_IN_TENSOR, init.byteLength);
      graphPieces.push(lenField(INITIALIZER_FIELD_IN_GRAPH, meta.length + raw.length + init.byteLength), meta, raw, init);
    }
  }
  const graphLen = graphPieces.reduce((s, p) => s + pieceLength(p), 0);
  return [modelHeader(), lenField(GRAPH_FIELD_IN_MODEL, graphLen), ...graphPieces];
}

/** Fills one buffer from the plan, producing each initializer's bytes only when it is copied. */
function fill(pieces: readonly Piece[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((s, p) => s + pieceLength(p), 0));
  let off = 0;
  for (const p of pieces) {
    const bytes = p instanceof Uint8Array ? p : p.bytes();
    if (bytes.length !== pieceLength(p)) throw new Error(`serialize: ${(p as Initializer).name} has ${bytes.length} bytes, planned ${pieceLength(p)}`);
    out.set(bytes, off);
    off += bytes.length;
  }
  return out;
}

function pieceLength(p: Piece): number {
  return p instanceof Uint8Array ? p.length : p.byteLength;
}

/** The whole model, weights inline, in one buffer filled one tensor at a time. */
export function serializeInline(g: GraphBuilder): Uint8Array {
  return fill(plan(g, () => null));
}

/**
 * Writes the weights into `target.path` (page-aligned, one tensor at a time) and returns the
 * ModelProto bytes that reference them by `target.location`; tensors under EXTERNAL_MIN_BYTES
 * stay inline.
 */
export function serializeExternal(g: GraphBuilder, target: ExternalTarget): Uint8Array {
  const offsets = externalOffsets(g);
  const fd = openSync(target.path, 'w');
  try {
    for (const init of g.initializers) {
      const off = offsets.get(init.name);
      if (off === undefined) continue;
      let at = off;
      for (const bytes of producedPieces(init)) {
        writeSync(fd, bytes, 0, bytes.length, at);
        at += bytes.length;
      }
    }
  } finally {
    closeSync(fd);
  }
  return externalModelBytes(g, target, offsets);
}

/** Bytes done / total of the external data while it is written. */
export type WriteProgress = (doneBytes: number, totalBytes: number) => void;

const openAsync = promisify(open);
const writeAsync = promisify(write);
const closeAsync = promisify(close);

/**
 * serializeExternal, pipelined over two cores: while one tensor is written (libuv's thread pool),
 * the next is read and converted on this thread. At most two converted tensors are alive at once,
 * so memory stays bounded by the two largest tensors whatever the model size; a tensor written in
 * pieces (`Initializer.pieces`) holds two pieces at a time.
 */
export async function serializeExternalAsync(g: GraphBuilder, target: ExternalTarget, onProgress?: WriteProgress): Promise<Uint8Array> {
  const offsets = externalOffsets(g);
  const total = g.initializers.reduce((s, i) => s + (offsets.has(i.name) ? i.byteLength : 0), 0);
  const fd = await openAsync(target.path, 'w');
  let done = 0;
  let pending: Promise<unknown> = Promise.resolve();
  try {
    for (const init of g.initializers) {
      const off = offsets.get(init.name);
      if (off === undefined) continue;
      let at = off;
      for (const bytes of producedPieces(init)) {
        // converted while the previous tensor (or piece) is being written
        await pending;
        pending = writeAll(fd, bytes, at).then(() => {
          done += bytes.length;
          onProgress?.(done, total);
        });
        at += bytes.length;
      }
    }
    await pending;
  } finally {
    await pending.catch(() => undefined);
    await closeAsync(fd);
  }
  return externalModelBytes(g, target, offsets);
}

async function writeAll(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    const { bytesWritten } = await writeAsync(fd, bytes, off, bytes.length - off, position + off);
    off += bytesWritten;
  }
}

/** An initializer's bytes, in its pieces where it has them, checked against its planned length. */
function* producedPieces(init: Initializer): Generator<Uint8Array> {
  if (!init.pieces) {
    const bytes = init.bytes();
    if (bytes.length !== init.byteLength) throw new Error(`serialize: ${init.name} has ${bytes.length} bytes, planned ${init.byteLength}`);
    yield bytes;
    return;
  }
  let n = 0;
  for (const piece of init.pieces()) {
    n += piece.length;
    if (n > init.byteLength) break;
    yield piece;
  }
  if (n !== init.byteLength) throw new Error(`serialize: ${init.name} has ${n > init.byteLength ? 'more than ' : ''}${n} bytes in pieces, planned ${init.byteLength}`);
}

/** Page-aligned offsets of the initializers that go to external data. */
function externalOffsets(g: GraphBuilder): Map<string, number> {
  const offsets = new Map<string, number>();
  let end = 0;
  for (const init of g.initializers) {
    if (init.byteLength < EXTERNAL_MIN_BYTES) continue;
    end = Math.ceil(end / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
    offsets.set(init.name, end);
    end += init.byteLength;
  }
  return offsets;
}

function externalModelBytes(g: GraphBuilder, target: ExternalTarget, offsets: Map<string, number>): Uint8Array {
  return fill(
    plan(g, (init) => {
      const off = offsets.get(init.name);
      if (off === undefined) return null;
      return [
        { key: 'location', value: target.location },
        { key: 'offset', value: String(off) },
        { key: 'length', value: String(init.byteLength) },
      ];
    }),
  );
}

/**
 * sha256 of the graph's structure: nodes, attributes, inputs, outputs and every initializer's
 * name, dims and type (not the weight data). Part of the graph cache key, so any change to the
 * builder gives a new key. Reads no weight.
 */
export function graphSignature(g: GraphBuilder): string {
  const h = createHash('sha256').update(graphSkeleton(g));
  for (const i of g.initializers) h.update(`${i.name}\u0000${i.dims.join('x')}\u0000${i.dataType}\u0000${i.byteLength}\n`);
  return h.digest('hex');
}

/** Total bytes of initializer data (decides inline vs external). */
export function initializerBytes(g: GraphBuilder): number {
  return g.initializers.reduce((s, i) => s + i.byteLength, 0);
}
