import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { rubygems } from './index.ts';

describe('rubygems', () => {
  orders(rubygems, [
    ['1.0.0', '1', 0],
    ['1.0.a', '1.0', -1],
    ['1.0-beta', '1.0.pre.beta', 0],
    ['1.0-beta', '1.0', -1],
    ['1.0.rc1', '1.0.rc2', -1],
    ['1.0.RC1', '1.0.rc1', -1],
    ['1.10', '1.9', 1],
    ['1.0.b1', '1.0.a.2', 1],
    ['1.0.0.0.1', '1.0', 1],
    ['1beta', '1', -1],
  ]);
  rejects(rubygems, ['', 'a', '1..0', '1.0.', '.1', '1.0 ', '1.0+x', '-1', '1.0-', '=1.0']);
});
