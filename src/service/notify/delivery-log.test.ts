import { describe } from 'vitest';
import { InMemoryDeliveryLog } from './delivery-log.ts';
import { deliveryLogContract } from './delivery-log-contract.ts';

describe('InMemoryDeliveryLog', () => {
  deliveryLogContract(async () => new InMemoryDeliveryLog());
});
