// PCA against ml-pca (an independent implementation: ml-matrix's SVD of the centred data) in
// components, explained variance and transform, with the SPEC's sign rule; bad inputs.
import { describe, expect, it } from "vitest";
import { PCA as MlPCA } from "ml-pca";
import * as rk from "../../src/index";

/** Seeded numbers in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Random rows around a mean of 10, columns of different spread, correlated through column 0. */
function randomRows(rows: number, cols: number, seed: number): number[][] {
  const next = lcg(seed);
  return Array.from({ length: rows }, () => {
    const row = Array.from({ length: cols }, (_, j) => next() * (1 + j));
    return row.map((v, j) => 10 + v + 0.7 * row[0] * j);
  });
}

/** `rank` planted directions with decreasing strength, plus `noise`. */
function lowRankRows(rows: number, cols: number, rank: number, noise: number, seed: number): number[][] {
  const next = lcg(seed);
  const loadings = Array.from({ length: rank }, () => Array.from({ length: cols }, next));
  return Array.from({ length: rows }, () => {
    const scores = Array.from({ length: rank }, (_, i) => next() * 4 * (rank - i));
    return Array.from({ length: cols }, (_, j) => 3 + noise * next() + scores.reduce((s, z, i) => s + z * loadings[i][j], 0));
  });
}

/** ml-pca's answer, with each component's sign set by the SPEC's rule. */
function reference(X: number[][], k: number) {
  const ml = new MlPCA(X);
  const vectors = ml.getEigenvectors().transpose().to2DArray().slice(0, k);
  const signs = vectors.map((v) => {
    const top = v.reduce((best, x, j) => (Math.abs(x) > Math.abs(v[best]) ? j : best), 0);
    return v[top] < 0 ? -1 : 1;
  });
  const scores = ml.predict(X, { nComponents: k }).to2DArray();
  return {
    components: vectors.map((v, i) => v.map((x) => x * signs[i])),
    variance: ml.getEigenvalues().slice(0, k),
    ratio: ml.getExplainedVariance().slice(0, k),
    scores: scores.map((row) => row.map((x, i) => x * signs[i])),
  };
}

/** max |a − b| over everything ≤ tol · max |b|. */
function expectClose(a: number[][], b: number[][], tol = 1e-4) {
  const scale = Math.max(...b.flat().map(Math.abs));
  const diff = Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i][j]))));
  expect(diff).toBeLessThanOrEqual(tol * scale);
}

function expectRelative(a: number[], b: number[], tol = 1e-4) {
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThanOrEqual(tol * Math.abs(b[i])));
}

function expectSignRule(components: number[][]) {
  for (const v of components) {
    const top = v.reduce((best, x, j) => (Math.abs(x) > Math.abs(v[best]) ? j : best), 0);
    expect(v[top]).toBeGreaterThan(0);
  }
}

function matchesReference(pca: rk.PCA, X: number[][], scores: number[][], k: number) {
  const ref = reference(X, k);
  expectClose(pca.components.slice(0, k), ref.components);
  expectRelative(pca.explainedVariance.slice(0, k), ref.variance);
  expectRelative(pca.explainedVarianceRatio.slice(0, k), ref.ratio);
  expectClose(scores, ref.scores);
  expectSignRule(pca.components);
  const mean = X[0].map((_, j) => X.reduce((s, row) => s + row[j], 0) / X.length);
  expectRelative(pca.mean, mean, 1e-12);
}

describe("PCA equals ml-pca", () => {
  it("on random data (number[][] in, number[][] out)", () => {
    const X = randomRows(500, 10, 1);
    const pca = new rk.PCA({ nComponents: 4 });
    const scores = pca.fitTransform(X);
    expect(scores).toHaveLength(500);
    expect(scores[0]).toHaveLength(4);
    expect(pca.fittedSolver).toBe("full");
    matchesReference(pca, X, scores, 4);
  });

  it("on low-rank data with every component kept", () => {
    const X = lowRankRows(300, 12, 3, 1e-3, 2);
    const pca = new rk.PCA({ nComponents: 12 });
    const scores = pca.fitTransform(X);
    matchesReference(pca, X, scores.map((r) => r.slice(0, 3)), 3);
    // The three planted directions hold all but a sliver of the variance.
    expect(pca.explainedVarianceRatio.slice(0, 3).reduce((a, b) => a + b)).toBeGreaterThan(0.9999);
    expect(pca.explainedVarianceRatio.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
  });

  it("on wide low-rank data with the randomized solver", () => {
    const X = lowRankRows(100, 520, 5, 1e-3, 3);
    const pca = new rk.PCA({ nComponents: 3 });
    const scores = pca.fitTransform(X);
    expect(pca.fittedSolver).toBe("randomized");
    matchesReference(pca, X, scores, 3);
  });

  it("on a Float32 matrix (Matrix in, Matrix out)", () => {
    const rows = 2000, cols = 20;
    const X = randomRows(rows, cols, 4).map((r) => r.map(Math.fround));
    const m: rk.Matrix = { data: Float32Array.from(X.flat()), rows, cols };
    const pca = new rk.PCA({ nComponents: 3 });
    const out = pca.fitTransform(m);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect([out.rows, out.cols]).toEqual([rows, 3]);
    const scores = Array.from({ length: rows }, (_, r) => Array.from(out.data.subarray(r * 3, r * 3 + 3)));
    matchesReference(pca, X, scores, 3);
  });
});

describe("PCA semantics", () => {
  it("transform projects new rows on the fitted components", () => {
    const pca = new rk.PCA({ nComponents: 2 }).fit(randomRows(100, 5, 5));
    const row = [1, 2, 3, 4, 5];
    const [scores] = pca.transform([row]);
    pca.components.forEach((c, i) => {
      const want = c.reduce((s, v, j) => s + v * (row[j] - pca.mean[j]), 0);
      expect(scores[i]).toBeCloseTo(want, 10);
    });
    expect(pca.singularValues[0]).toBeCloseTo(Math.sqrt(pca.explainedVariance[0] * 99), 8);
    expect(pca.nFeatures).toBe(5);
  });

  it("gives the same result for the same seed and threads", () => {
    const X = lowRankRows(80, 600, 4, 1e-2, 6);
    const a = new rk.PCA({ nComponents: 2, solver: "randomized", seed: 3, threads: 1 }).fit(X);
    const b = new rk.PCA({ nComponents: 2, solver: "randomized", seed: 3, threads: 2 }).fit(X);
    expect(a.components).toEqual(b.components);
    expect(a.explainedVariance).toEqual(b.explainedVariance);
  });

  it("rejects bad input with codes", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(rk.RusketError);
        return (e as rk.RusketError).code;
      }
      return "no error";
    };
    const X = randomRows(10, 3, 7);
    expect(code(() => new rk.PCA({ nComponents: 0 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 2, solver: "svd" as any }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 2 }).components)).toBe("NOT_FITTED");
    expect(code(() => new rk.PCA({ nComponents: 2 }).transform(X))).toBe("NOT_FITTED");
    expect(code(() => new rk.PCA({ nComponents: 4 }).fit(X))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit([]))).toBe("EMPTY_INPUT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit([[1, 2], [3]]))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit([[1, 2], [3, NaN]]))).toBe("INVALID_FORMAT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit([[1, 2]]))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit({ data: new Float32Array(5), rows: 2, cols: 3 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => new rk.PCA({ nComponents: 1 }).fit(X).transform([[1, 2]]))).toBe("INVALID_ARGUMENT");
  });
});
