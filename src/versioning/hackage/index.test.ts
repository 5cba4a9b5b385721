import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { hackage } from './index.ts';

describe('hackage', () => {
  orders(hackage, [
    ['1.0', '1.0.0', -1],
    ['1.0.1', '1.0.0.5', 1],
    ['0.1', '0.01', 0],
    ['2', '10', -1],
    ['1.2.3.4.5.6', '1.2.3.4.5', 1],
  ]);
  rejects(hackage, ['', '1.0-beta', 'v1.0', '1..0', '1.', '.1', '1.0a', '-1']);
});
