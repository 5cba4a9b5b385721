import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { pub } from './index.ts';

describe('pub', () => {
  orders(pub, [
    ['1.0.0', '1.0.0+1', -1],
    ['1.0.0+2', '1.0.0+10', -1],
    ['1.0.0+a', '1.0.0+1', 1],
    ['1.0.0+1', '1.0.0+1.1', -1],
    ['1.0.0-beta', '1.0.0-beta+1', -1],
    ['1.0.0-beta+1', '1.0.0', -1],
    ['1.0.0-dev.2', '1.0.0-dev.10', -1],
    ['v1.2.3', '1.2.3', 0],
  ]);
  rejects(pub, ['', 'a', '1.0.0-', '^1.0.0', 'any', '>=1.0.0']);
});
