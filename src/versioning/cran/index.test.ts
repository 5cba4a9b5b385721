import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { cran } from './index.ts';

describe('cran', () => {
  orders(cran, [
    ['1.0-1', '1.0.1', 0],
    ['1.0', '1.0-0', -1],
    ['0.9', '0.10', -1],
    ['1.2.3', '1.2-3', 0],
    ['0.01', '0.1', 0],
  ]);
  rejects(cran, ['', '1.0a', '1.0_1', 'v1', '1..0', '1.0-', '-1']);
});
