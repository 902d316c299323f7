/**
 * Fits the relevance model's weights (services/engram/src/config/relevance-model.ts) to labelled search
 * results in two steps. First the signal weights, by coordinate ascent on what the evaluation measures:
 * mean recall of the top 5 (MRR breaks ties) when each question's hits are re-ranked by the weights.
 * Likelihood fits were tried and lost to it: a question whose evidence sits at rank 80 pulls a
 * likelihood fit as hard as one at rank 6, while only the latter can reach the top 5. Then one scale
 * and intercept by logistic regression on the resulting logits (Platt scaling), so that the score reads
 * as a probability of relevance. Pure; no dataset content.
 *
 * questions: [{ evidence: [id], hits: [{ signals, ids: [id], relevant }] }]; start: weights to begin from.
 * Returns { bias, <name>: weight, … }.
 */
export function fitRelevance(questions, names, start = {}) {
  const prepared = prepare(questions, names);
  let weights = names.map((name) => start[name] ?? 0);
  let best = objective(prepared, weights);
  for (let step = 1; step >= 1 / 32;) {
    let improved = false;
    for (let i = 0; i < names.length; i++) {
      for (const direction of [1, -1]) {
        const trial = weights.map((value, j) => (j === i ? value + direction * step : value));
        const value = objective(prepared, trial);
        if (value > best + 1e-9) [weights, best, improved] = [trial, value, true];
      }
    }
    if (!improved) step /= 2;
  }
  return calibrate(questions, Object.fromEntries(names.map((name, i) => [name, weights[i]])));
}

/**
 * Platt scaling: the intercept and one factor on the weights' logits that make them probabilities
 * of relevance. The ranking the weights give is unchanged.
 */
export function calibrate(questions, weights) {
  const { bias: _ignored, ...signalWeights } = weights;
  const logits = questions.flatMap((q) =>
    q.hits.map((hit) => ({ x: [1, logitOf(signalWeights, hit.signals)], y: hit.relevant ? 1 : 0 })),
  );
  const [bias, scale] = newton(2, 50, (beta) => pointwiseStep(logits, beta));
  return Object.fromEntries([['bias', bias], ...Object.entries(signalWeights).map(([name, w]) => [name, scale * w])]);
}

/** Each question's signals as one flat array, its hits' evidence ids and relevance, for fast re-ranking. */
function prepare(questions, names) {
  return questions.map((q) => ({
    signals: Float64Array.from(q.hits.flatMap((hit) => names.map((name) => hit.signals?.[name] ?? 0))),
    ids: q.hits.map((hit) => hit.ids),
    relevant: q.hits.map((hit) => hit.relevant),
    wanted: new Set(q.evidence),
    dimension: names.length,
  }));
}

/** Mean R@5 over the questions with their hits re-ranked by the weights, plus a tenth of MRR. */
function objective(prepared, weights) {
  let total = 0;
  for (const q of prepared) {
    const scores = q.ids.map((_, hit) => {
      let sum = 0;
      for (let i = 0; i < q.dimension; i++) sum += weights[i] * q.signals[hit * q.dimension + i];
      return sum;
    });
    const order = scores.map((_, hit) => hit).sort((a, b) => scores[b] - scores[a]);
    const found = new Set(
      order
        .slice(0, 5)
        .flatMap((hit) => q.ids[hit])
        .filter((id) => q.wanted.has(id)),
    );
    const first = order.slice(0, 10).findIndex((hit) => q.relevant[hit]);
    total += found.size / q.wanted.size + (first === -1 ? 0 : 0.1 / (first + 1));
  }
  return total / prepared.length;
}

export function logitOf(weights, signals) {
  return Object.entries(weights).reduce(
    (sum, [name, weight]) => sum + weight * (name === 'bias' ? 1 : (signals?.[name] ?? 0)),
    0,
  );
}

export function sigmoid(x) {
  return 1 / (1 + Math.exp(-x));
}

/** Newton iterations from zero; `step(beta)` answers the gradient and Hessian of the log-likelihood. */
function newton(dimension, iterations, step) {
  let beta = new Array(dimension).fill(0);
  for (let i = 0; i < iterations; i++) {
    const { gradient, hessian } = step(beta);
    const change = solve(hessian, gradient);
    beta = beta.map((value, a) => value + change[a]);
    if (change.reduce((sum, value) => sum + value * value, 0) < 1e-10) break;
  }
  return beta;
}

function pointwiseStep(rows, beta) {
  const gradient = [0, 0];
  const hessian = [
    [1e-9, 0],
    [0, 1e-9],
  ];
  for (const { x, y } of rows) {
    const p = sigmoid(dot(beta, x));
    const w = p * (1 - p);
    for (let a = 0; a < 2; a++) {
      gradient[a] += (y - p) * x[a];
      for (let b = 0; b < 2; b++) hessian[a][b] += w * x[a] * x[b];
    }
  }
  return { gradient, hessian };
}

function dot(a, b) {
  return a.reduce((sum, value, i) => sum + value * b[i], 0);
}

/** Gaussian elimination with partial pivoting: A x = b for a small dense system. */
function solve(matrix, vector) {
  const n = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    if (Math.abs(a[col][col]) < 1e-12) continue;
    for (let row = col + 1; row < n; row++) {
      const factor = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= factor * a[col][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let row = n - 1; row >= 0; row--) {
    if (Math.abs(a[row][row]) < 1e-12) continue;
    let sum = a[row][n];
    for (let k = row + 1; k < n; k++) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
  }
  return x;
}
