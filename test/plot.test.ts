import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bars, figure, line } from '../src/plot.js';

test('figure: an axis with strings on it is categorical (plotly draws no bars for named methods on a linear axis); numbers stay linear; log as asked', () => {
  const named = figure([bars(['sgd', 'adam', 'kfac'], [0.37, 0.027, 0.015], { name: 'axis-aligned' })], { y: 'dist', logY: true });
  assert.equal(named.layout.xaxis?.type, 'category');
  assert.equal(named.layout.yaxis?.type, 'log');
  const numeric = figure([line([1, 2, 3], [4, 5, 6])], { logX: true });
  assert.equal(numeric.layout.xaxis?.type, 'log');
  assert.equal(numeric.layout.yaxis?.type, 'linear');
  assert.equal(figure([bars([1, 2], [3, 4])]).layout.xaxis?.type, 'linear');
});
