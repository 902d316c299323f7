import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantiseColumns } from './weight-quantisation';

describe('quantiseColumns', () => {
  it('scales each column by its own largest magnitude, within ±63, and dequantises within half a step', () => {
    // Column 0 holds large weights, column 1 tiny ones: one scale for both would round column 1 to zero.
    const kernel = Float32Array.from([4, 0.001, -2.2, -0.00055, 1, 0.00025]);
    const { values, scales } = quantiseColumns(kernel, 3, 2);
    assert.deepEqual([...values], [63, 63, -35, -35, 16, 16]);
    assert.ok(Math.abs(scales[0] - 4 / 63) < 1e-7);
    assert.ok(Math.abs(scales[1] - 0.001 / 63) < 1e-10);
    kernel.forEach((weight, i) => {
      const scale = scales[i % 2];
      assert.ok(Math.abs(values[i] * scale - weight) <= scale / 2 + 1e-9, `weight ${i}`);
    });
  });

  it('gives an all-zero column a usable scale instead of dividing by zero', () => {
    const { values, scales } = quantiseColumns(Float32Array.from([0, 1, 0, -1]), 2, 2);
    assert.deepEqual([...values], [0, 63, 0, -63]);
    assert.equal(scales[0], 1);
  });

  it('refuses a kernel whose size is not rows × columns', () => {
    assert.throws(() => quantiseColumns(new Float32Array(5), 2, 3), /5 values is not 2×3/);
  });
});
