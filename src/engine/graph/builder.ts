/**
 * A small in-memory ONNX graph under construction. Nodes are named by address
 * (`/model/layers.3/attn/q_proj/MatMul`) and their outputs are `{node}/output_{k}`.
 * Initializers are kept lazy (weights load only when the model is serialized, one at a time) and
 * deduplicated: a weight by its storage key (tied embeddings are emitted once), a small constant by
 * its content.
 */
import type { WeightPrecision } from '../../shared/result';
import { floatPieces } from '../model/rowReader';
import type { WeightRef } from '../weights/types';
import type { QuantScheme } from './blocks/linear';

/** How the linear layers store their weights (blocks/linear.ts); everything else is float32. */
export interface LinearPlan {
  weights: WeightPrecision;
  /** Overrides of the default quantisation scheme (measurements and tests). */
  quant?: Partial<QuantScheme>;
}

/** ONNX TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type DataType = (typeof DT)[keyof typeof DT];

export type AttrValue =
  | { kind: 'int'; v: number }
  | { kind: 'float'; v: number }
  | { kind: 'ints'; v: readonly number[] }
  | { kind: 'floats'; v: readonly number[] }
  | { kind: 'string'; v: string }
  | { kind: 'graph'; v: GraphBuilder };

export const int = (v: number): AttrValue => ({ kind: 'int', v });
export const float = (v: number): AttrValue => ({ kind: 'float', v });
export const ints = (v: readonly number[]): AttrValue => ({ kind: 'ints', v });
export const str = (v: string): AttrValue => ({ kind: 'string', v });
export const graph = (v: GraphBuilder): AttrValue => ({ kind: 'graph', v });

export interface GraphNode {
  name: string;
  opType: string;
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs: Readonly<Record<string, AttrValue>>;
}

/** An initializer whose bytes are produced only when written (little-endian raw data). */
export interface Initializer {
  name: string;
  dims: readonly number[];
  dataType: DataType;
  byteLength: number;
  bytes(): Uint8Array;
  /**
   * The same bytes in consecutive pieces, made as they are asked for, where that avoids a whole copy (a weight read
   * from its file a few rows at a time). A piece stays valid until the one after the next is asked for.
   */
  pieces?(): Iterable<Uint8Array>;
}

/** Dims of a graph input/output: numbers are fixed, strings are symbolic (e.g. 'T'). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dataType: DataType;
  /** null = shape left unspecified (subgraph outputs whose shape depends on the branch). */
  dims: readonly Dim[] | null;
}

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  /** Shared with subgraphs: initializers live in the main graph, names are unique across all. */
  readonly initializers: Initializer[];
  private readonly byKey: Map<string, string>;
  private readonly nodeNames: Set<string>;
  readonly linear: LinearPlan;

  constructor(parent?: GraphBuilder, linear: LinearPlan = { weights: 'fp32' }) {
    this.initializers = parent ? parent.initializers : [];
    this.byKey = parent ? parent.byKey : new Map();
    this.nodeNames = parent ? parent.nodeNames : new Set();
    this.linear = parent ? parent.linear : linear;
  }

  /** A subgraph (If branch) that reads outer values and adds its constants to the main graph. */
  subgraph(): GraphBuilder {
    return new GraphBuilder(this);
  }

  /** Whether `ref` is already a float32 initializer (e.g. the embedding a tied head shares). */
  hasWeight(ref: WeightRef): boolean {
    return this.byKey.has(`w:${ref.key}`);
  }

  /**
   * An initializer computed from model weights when it is written (a quantised or fp16 form);
   * deduplicated by `key`. `bytes` must return exactly `byteLength` bytes; `pieces`, where given, the same bytes
   * in pieces (Initializer.pieces).
   */
  derived(key: string, name: string, dims: readonly number[], dataType: DataType, byteLength: number, bytes: () => Uint8Array, pieces?: () => Iterable<Uint8Array>): string {
    const existing = this.byKey.get(`d:${key}`);
    if (existing !== undefined) return existing;
    this.byKey.set(`d:${key}`, name);
    this.initializers.push({ name, dims, dataType, byteLength, bytes, ...(pieces ? { pieces } : {}) });
    return name;
  }

  /** Declares `value` (made in this subgraph) as a branch output. */
  branchOutput(value: string, dataType: DataType): void {
    this.outputs.push({ name: value, dataType, dims: null });
  }

  /** Adds one node and returns its output names (`{name}/output_{k}`). */
  node(
    opType: string,
    name: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    numOutputs = 1,
    domain = '',
  ): string[] {
    if (this.nodeNames.has(name)) throw new Error(`graph: duplicate node name ${name}`);
    this.nodeNames.add(name);
    const outputs = Array.from({ length: numOutputs }, (_, k) => `${name}/output_${k}`);
    this.nodes.push({ name, opType, domain, inputs, outputs, attrs });
    return outputs;
  }

  /** Single-output convenience form of `node`. */
  op(opType: string, name: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}): string {
    return this.node(opType, name, inputs, attrs)[0] as string;
  }

  /** A model weight, emitted once per storage key (tied lm head = embedding). */
  weight(ref: WeightRef, name: string): string {
    const existing = this.byKey.get(`w:${ref.key}`);
    if (existing !== undefined) return existing;
    const numel = ref.dims.reduce((a, b) => a * b, 1);
    const rows = ref.rows;
    this.byKey.set(`w:${ref.key}`, name);
    this.initializers.push({
      name,
      dims: ref.dims,
      dataType: DT.FLOAT,
      byteLength: numel * 4,
      bytes: () => {
        const data = ref.load();
        if (data.length !== numel) throw new Error(`weight ${ref.key}: ${data.length} values, expected ${numel} for [${ref.dims.join(', ')}]`);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      },
      ...(rows ? { pieces: () => floatPieces(rows, ref.dims) } : {}),
    });
    return name;
  }

  /** A float32 constant computed at build time (e.g. RoPE caches); deduplicated by `key`. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array, key = name): string {
    return this.addConst(`f:${key}`, name, dims, DT.FLOAT, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** A small int64 constant, deduplicated by content. */
  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    const name = `/model/constants/INT64/${dims.join('x') || 'scalar'}/${this.byKey.size}`;
    return this.addConst(key, name, dims, DT.INT64, new Uint8Array(data.buffer));
  }

  /** A small float32 constant, deduplicated by content. */
  f32(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `c:${dims.join('x')}:${values.join(',')}`;
    const name = `/model/constants/FLOAT/${dims.join('x') || 'scalar'}/${this.byKey.size}`;
    return this.addConst(key, name, dims, DT.FLOAT, new Uint8Array(Float32Array.from(values).buffer));
  }

  input(name: string, dataType: DataType, dims: readonly Dim[]): string {
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /**
   * Makes the node that produces `value` write the graph output `name` itself and returns `name`, for large
   * outputs where output()'s Identity would be a copy (the stacked hidden states: 40 MB at T = 1024 on GPT-2
   * small). `value` must be a node output of this graph that nothing reads yet; later readers use the name returned.
   */
  outputInPlace(value: string, name: string, dataType: DataType, dims: readonly Dim[] | null): string {
    const i = this.nodes.findIndex((n) => n.outputs.includes(value));
    const node = this.nodes[i];
    if (!node) throw new Error(`outputInPlace: ${value} is not made by a node of this graph`);
    if (this.nodes.some((n) => n.inputs.includes(value))) throw new Error(`outputInPlace: ${value} is already read`);
    this.nodes[i] = { ...node, outputs: node.outputs.map((o) => (o === value ? name : o)) };
    this.outputs.push({ name, dataType, dims });
    return name;
  }

  /** Exposes `value` as a graph output called `name` (an Identity keeps output names stable). */
  output(value: string, name: string, dataType: DataType, dims: readonly Dim[] | null): void {
    this.node('Identity', `/model/outputs/${name}`, [value], {}, 1);
    // Rename the Identity's output to the public name.
    const last = this.nodes[this.nodes.length - 1] as GraphNode;
    this.nodes[this.nodes.length - 1] = { ...last, outputs: [name] };
    this.outputs.push({ name, dataType, dims });
  }

  private addConst(key: string, name: string, dims: readonly number[], dataType: DataType, raw: Uint8Array): string {
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    this.byKey.set(key, name);
    this.initializers.push({ name, dims, dataType, byteLength: raw.byteLength, bytes: () => raw });
    return name;
  }
}
