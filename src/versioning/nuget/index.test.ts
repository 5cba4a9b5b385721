import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { nuget } from './index.ts';

describe('nuget', () => {
  orders(nuget, [
    ['1.0', '1.0.0.0', 0],
    ['1.0.0-BETA', '1.0.0-beta', 0],
    ['1.0.0+meta', '1.0.0', 0],
    ['1.0.0.1', '1.0.0', 1],
    ['1.0.0-alpha', '1.0.0', -1],
    ['1.0.0-alpha.2', '1.0.0-alpha.10', -1],
    ['1.0.0-Alpha.B', '1.0.0-alpha.a', 1],
    ['1.0.01', '1.0.1', 0],
  ]);
  rejects(nuget, ['', '1.0.0.0.0', 'v1.0', '1.0-', '1.0+', 'a', '1..0', '[1.0,2.0)']);
});
