// PCA of a 100k × 64 matrix to 3 components (fit + transform): rusket against ml-pca in the same
// run, with ml-pca's default SVD and its covariance-matrix method. Both get their input ready
// (a Float32 Matrix for rusket, number[][] for ml-pca); the explained variances are compared so
// that the two computed the same thing. ml-pca takes tens of seconds per fit, so its slower
// method runs once. Prints ratios; asserts nothing.
import { createRequire } from "node:module";
import { timed } from "./util.mjs";

const require = createRequire(import.meta.url);
const rk = require("../dist/index.js");
const { PCA: MlPCA } = require("ml-pca");

/** Eight planted directions plus noise, around a mean of 1: seeded, so every run is the same. */
function data(rows, cols) {
  let s = 7;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) - 0.5;
  const rank = 8;
  const loadings = Array.from({ length: rank * cols }, next);
  const out = new Float32Array(rows * cols);
  const scores = new Float64Array(rank);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < rank; i++) scores[i] = next() * (rank - i);
    for (let j = 0; j < cols; j++) {
      let v = 1 + 0.1 * next();
      for (let i = 0; i < rank; i++) v += scores[i] * loadings[i * cols + j];
      out[r * cols + j] = v;
    }
  }
  return { data: out, rows, cols };
}

export function pcaBench() {
  const rows = 100_000, cols = 64, k = 3;
  const matrix = data(rows, cols);
  const arrays = Array.from({ length: rows }, (_, r) => Array.from(matrix.data.subarray(r * cols, (r + 1) * cols)));
  const ours = timed(() => {
    const pca = new rk.PCA({ nComponents: k });
    return { scores: pca.fitTransform(matrix), variance: pca.explainedVariance };
  }, 9);
  const peer = (method, repeat = 3) => timed(() => {
    const pca = new MlPCA(arrays, { method });
    return { scores: pca.predict(arrays, { nComponents: k }), variance: pca.getEigenvalues().slice(0, k) };
  }, repeat);
  const svd = peer("SVD");
  const cov = peer("covarianceMatrix", 1);
  const gap = (p) => Math.max(...p.out.variance.map((v, i) => Math.abs(v - ours.out.variance[i]) / v)).toExponential(1);
  const ms = (s) => `${(s * 1000).toFixed(s < 0.1 ? 1 : 0)} ms`;
  console.log(`\n## PCA (${rows.toLocaleString()} × ${cols} to ${k} components, fit + transform; rusket on all cores)\n`);
  console.log("| implementation | median | × (peer / rusket) | largest relative gap in explained variance | target |");
  console.log("| --- | --- | --- | --- | --- |");
  console.log(`| rusket \`PCA.fitTransform\` (Float32 Matrix) | ${ms(ours.seconds)} | – | – | |`);
  console.log(`| ml-pca 4.1, default (SVD) | ${ms(svd.seconds)} | ${(svd.seconds / ours.seconds).toFixed(0)}× | ${gap(svd)} | ≥ 50× |`);
  console.log(`| ml-pca 4.1, method "covarianceMatrix" | ${ms(cov.seconds)} | ${(cov.seconds / ours.seconds).toFixed(0)}× | ${gap(cov)} | |`);
}
