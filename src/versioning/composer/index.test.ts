import { describe } from 'vitest';
import { orders, rejects } from '../testing.ts';
import { composer } from './index.ts';

describe('composer', () => {
  orders(composer, [
    ['1.0.0', 'v1.0.0', 0],
    ['dev-master', '1.0.0', -1],
    ['dev-master', '0.0.1', -1],
    ['1.0.0-dev', '1.0.0-alpha1', -1],
    ['1.0.0-alpha1', '1.0.0-beta1', -1],
    ['1.0.0-beta1', '1.0.0-RC1', -1],
    ['1.0.0-RC1', '1.0.0', -1],
    ['1.0.0', '1.0.0-pl1', -1],
    ['1.0', '1.0.0', -1],
    ['1.0.0beta2', '1.0.0-b2', 0],
    ['2.0.0', '10.0.0', -1],
  ]);
  rejects(composer, ['', '1 0', '1.0\n', 'é']);
});
