/**
 * Largest quantised weight magnitude: 7 bits, not 8. onnxruntime's AVX2 kernels multiply uint8
 * activations by int8 weights in pairs summed to int16 (vpmaddubsw), which saturates when both weights
 * of a pair are near ±127 (255·127·2 > 32767); with |w| ≤ 63 no pair can (the relative error of a
 * layer measured ~18% at 8 bits, ~0.9% at 7).
 */
const WEIGHT_RANGE = 63;

/**
 * Symmetric per-column quantisation of a row-major [rows, columns] kernel: each output column gets its
 * own scale (its largest magnitude ÷ WEIGHT_RANGE), so a column of small weights keeps its resolution.
 */
export function quantiseColumns(
  data: Float32Array,
  rows: number,
  columns: number,
): { values: Int8Array; scales: Float32Array } {
  if (data.length !== rows * columns) throw new Error(`kernel of ${data.length} values is not ${rows}×${columns}`);
  const scales = new Float32Array(columns);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      scales[column] = Math.max(scales[column], Math.abs(data[row * columns + column]));
  for (let column = 0; column < columns; column++) scales[column] = scales[column] / WEIGHT_RANGE || 1;
  const values = new Int8Array(data.length);
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++)
      values[row * columns + column] = Math.round(data[row * columns + column] / scales[column]);
  return { values, scales };
}
