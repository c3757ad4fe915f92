/** Numeric inputs of the metrics: hidden states arrive as float32 from the runtime, references use float64. */
export type FloatArray = Float32Array | Float64Array;
