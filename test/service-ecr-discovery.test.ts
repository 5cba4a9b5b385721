/**
 * ECR discovery through DescribeRepositories / DescribeImages. AWS cannot be reached from these
 * machines: the ECR client is replaced by aws-sdk-client-mock, which answers as ECR documents.
 */
import * as ecr from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../src/service/runtime/discovery.ts';
import { createSqliteQueue } from '../src/service/runtime/sqlite-queue.ts';
import { openRuntimeHarness, type RuntimeHarness, T0 } from '../src/service/runtime/testing.ts';
import { dialects, digestOf, type TestDatabase } from '../src/service/store/testing.ts';
import type { Registry } from '../src/service/store/types.ts';

const ACCOUNT = '123456789012';
const ecrMock = mockClient(ecr.ECRClient);
const loadEcr = async () => ecr;

interface FakeImage {
  digest: string;
  tags?: string[];
  pushedAt: Date;
}

/** DescribeImages answered one image per page, so pagination is exercised */
function serve(repositories: Record<string, FakeImage[]>) {
  ecrMock.reset();
  ecrMock.on(ecr.DescribeRepositoriesCommand).resolves({
    repositories: Object.keys(repositories).map((repositoryName) => ({ repositoryName, registryId: ACCOUNT })),
  });
  ecrMock.on(ecr.DescribeImagesCommand).callsFake((input: ecr.DescribeImagesCommandInput) => {
    const images = repositories[input.repositoryName ?? ''] ?? [];
    const at = Number(input.nextToken ?? 0);
    const image = images[at];
    return {
      imageDetails:
        image === undefined
          ? []
          : [
              {
                registryId: ACCOUNT,
                repositoryName: input.repositoryName,
                imageDigest: image.digest,
                ...(image.tags !== undefined && { imageTags: image.tags }),
                imagePushedAt: image.pushedAt,
              },
            ],
      ...(at + 1 < images.length && { nextToken: String(at + 1) }),
    };
  });
}

describe.each(dialects)('ECR discovery on $name', (dialect) => {
  const run = dialect.skipReason === undefined ? it : it.skip;
  let database: TestDatabase;
  let harness: RuntimeHarness;
  let registry: Registry;

  beforeEach(async () => {
    if (dialect.skipReason !== undefined) return;
    database = await dialect.open();
    harness = await openRuntimeHarness(database);
    registry = await database.store.createRegistry(
      {
        name: 'prod-ecr',
        url: `https://${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`,
        kind: 'ecr',
        region: 'us-west-2',
        awsAccountId: ACCOUNT,
        production: true,
      },
      T0,
    );
  });
  afterEach(async () => {
    ecrMock.reset();
    if (dialect.skipReason !== undefined) return;
    await harness.close();
    await database.cleanup();
  });

  run('queues tagged and untagged digests with their push time; a digest ECR stops listing is archived', async () => {
    const pushed = new Date('2026-10-01T12:00:00Z');
    serve({
      'test/ubuntu': [
        { digest: digestOf(1), tags: ['16.04', 'latest'], pushedAt: pushed },
        { digest: digestOf(2), pushedAt: pushed },
      ],
      'other/app': [{ digest: digestOf(3), tags: ['v1'], pushedAt: pushed }],
    });
    const queue = createSqliteQueue(harness.ctx);
    // the ECR continuous-scan shape: account and region, no registry URL
    const config = await database.store.createConfig(
      { region: 'us-west-2', registry: ACCOUNT, repositoryPattern: 'test/*' },
      T0,
    );
    const first = await discover(harness.ctx, config, queue, loadEcr);
    expect(first).toEqual({ repositories: 1, tags: 2, queued: 2, moved: 0, archived: 0 });
    expect((await database.store.getImages(digestOf(2)))[0]).toMatchObject({
      registryId: registry.id,
      repository: 'test/ubuntu',
      pushedAt: pushed,
    });
    expect(ecrMock.commandCalls(ecr.DescribeImagesCommand)).toHaveLength(2);
    expect(ecrMock.commandCalls(ecr.DescribeRepositoriesCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
    });

    // latest moves to a new image, the old one is deleted from ECR
    serve({
      'test/ubuntu': [
        { digest: digestOf(4), tags: ['latest'], pushedAt: new Date('2026-10-20T00:00:00Z') },
        { digest: digestOf(2), pushedAt: pushed },
      ],
    });
    const second = await discover(harness.ctx, config, queue, loadEcr);
    expect(second).toMatchObject({ queued: 1, moved: 1, archived: 1 });
    expect((await database.store.getImages(digestOf(1)))[0]?.archivedAt).toEqual(T0);
    expect((await database.store.getImages(digestOf(2)))[0]?.archivedAt).toBeUndefined();
  });

  run('a tag list leaves untagged images out', async () => {
    serve({
      'test/ubuntu': [
        { digest: digestOf(1), tags: ['16.04'], pushedAt: T0 },
        { digest: digestOf(2), pushedAt: T0 },
      ],
    });
    const config = await database.store.createConfig(
      { region: 'us-west-2', registry: ACCOUNT, repository: 'test/ubuntu', tags: ['16.04', 'latest'] },
      T0,
    );
    const result = await discover(harness.ctx, config, createSqliteQueue(harness.ctx), loadEcr);
    expect(result).toMatchObject({ repositories: 1, tags: 1, queued: 1 });
    expect(await database.store.getImages(digestOf(2))).toEqual([]);
    expect(ecrMock.commandCalls(ecr.DescribeRepositoriesCommand)).toHaveLength(0);
  });
});
