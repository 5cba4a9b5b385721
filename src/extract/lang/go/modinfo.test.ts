import { describe, expect, it } from 'vitest';
import { APP_MODINFO } from './fixture-builder.ts';
import { parseModinfo } from './modinfo.ts';

describe('parseModinfo', () => {
  it('the module info of the app fixture: main, deps, replacements, settings', () => {
    expect(parseModinfo(APP_MODINFO)).toEqual({
      path: 'example.com/app/cmd/app',
      main: { path: 'example.com/app', version: 'v1.2.3', sum: 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      deps: [
        { path: 'github.com/google/uuid', version: 'v1.3.0', sum: 'h1:t6JiXgmwXMjEs8VusXIJk2BXHsn+wx8BZdTaoZ5fu7I=' },
        {
          path: 'golang.org/x/net',
          version: 'v0.17.0',
          replace: {
            path: 'github.com/example/net-fork',
            version: 'v0.17.1-fork',
            sum: 'h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=',
          },
        },
        { path: 'example.com/local', version: 'v0.0.0', replace: { path: '../local', version: '(devel)' } },
      ],
      settings: [
        ['-compiler', 'gc'],
        ['-ldflags', '-s -w -X main.version=1.2.3'],
        ['CGO_ENABLED', '0'],
        ['GOOS', 'linux'],
      ],
      malformedLines: 0,
    });
  });

  it.each([
    [
      'a GOPATH build: path and settings only',
      'path\tgithub.com/docker/distribution/cmd/registry\nbuild\t-trimpath=true\n',
      undefined,
      0,
      0,
    ],
    [
      'a replacement of the main module',
      'mod\tex.com/m\t(devel)\t\n=>\tex.com/fork\tv1.0.0\th1:x\n',
      'ex.com/fork',
      0,
      0,
    ],
    ['"=>" with nothing before it', '=>\tex.com/fork\tv1.0.0\th1:x\n', undefined, 0, 1],
    ['"=>" without the sum column', 'dep\tex.com/a\tv1.0.0\n=>\tex.com/b\tv1.0.0\n', undefined, 1, 1],
    ['a dep with one column', 'dep\tex.com/a\n', undefined, 0, 1],
    ['a dep with an empty path (old Go versions), passed over', 'dep\t\t(devel)\t\n', undefined, 0, 0],
    ['an unknown line', 'hello\tworld\ndep\tex.com/a\tv1.0.0\n', undefined, 1, 1],
    ['a setting with no "="', 'build\tnonsense\n', undefined, 0, 1],
    ['a "go" line as debug.BuildInfo.String writes it', 'go\tgo1.21.3\ndep\tex.com/a\tv1.0.0\n', undefined, 1, 0],
  ])('%s', (_, text, replacedMain, deps, malformed) => {
    const info = parseModinfo(text);
    expect(info.main?.replace?.path).toBe(replacedMain);
    expect(info.deps).toHaveLength(deps);
    expect(info.malformedLines).toBe(malformed);
  });

  it.each([
    ['build\t-ldflags="-X \\"main.v=1\\""', ['-ldflags', '-X "main.v=1"']],
    ['build\t"weird key"=value', ['weird key', 'value']],
    ['build\tDefaultGODEBUG=panicnil=1', ['DefaultGODEBUG', 'panicnil=1']],
    ['build\t-tags="a,\\x41"', ['-tags', 'a,A']],
  ])('setting %s', (line, want) => {
    expect(parseModinfo(line).settings).toEqual([want]);
  });
});
