import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { viewToHtml } from './channels/email.ts';
import { slackMessage } from './channels/slack.ts';
import { renderView, SUMMARY_CHARS, viewToText } from './render.ts';
import { finding, findingEvent, image } from './testing.ts';

/** Whatever an advisory or a registry says, the rendered messages keep it as inert, bounded text. */

const hostileText = fc.oneof(
  fc.string({ maxLength: 2_000 }),
  fc
    .array(
      fc.constantFrom(
        '<',
        '>',
        '&',
        '"',
        "'",
        '*',
        '_',
        '`',
        '|',
        '<!channel>',
        '<@U1>',
        '<script>',
        '\r\n',
        'javascript:',
        'a',
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join('')),
);

describe('hostile advisory and registry text', () => {
  it('never reaches e-mail HTML as markup, nor Slack mrkdwn unescaped', () => {
    fc.assert(
      fc.property(hostileText, hostileText, hostileText, (summary, id, tag) => {
        const f = finding(`CVE-${id}`, 'HIGH', { summary, urls: [`https://example.test/${id}`] });
        const view = renderView(findingEvent('finding.new', f, { image: { ...image, tag } }));
        const html = viewToHtml(view);
        // The only tags are the renderer's own; no attribute is opened by the input.
        expect(html.match(/<(?!\/?(?:h2|h3|table|tr|th|td|ul|li|b|br|i|p|a|html|body)\b|!doctype)/g)).toBeNull();
        expect(html).not.toMatch(/<script|href="(?!https:\/\/example\.test\/)/i);
        const slack = slackMessage(view);
        for (const block of slack.blocks) {
          const objects = [
            ...('text' in block && block.text ? [block.text] : []),
            ...('fields' in block ? (block.fields ?? []) : []),
            ...('elements' in block ? block.elements : []),
          ];
          for (const object of objects) {
            if (object.type === 'mrkdwn')
              expect(object.text).toMatch(/^(\*[A-Za-z ]+\*|<https:\/\/example\.test\/[^|<>]*\|advisory>)$/);
          }
        }
        expect(slack.text).not.toMatch(/[<>]/);
        expect(view.subject).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts a megabyte summary to a bounded line with a note', () => {
    const view = renderView(
      findingEvent('finding.new', finding('CVE-2024-1', 'LOW', { summary: 'é'.repeat(1_000_000) })),
    );
    const text = viewToText(view);
    expect(text).toContain(`… [truncated ${1_000_000 - SUMMARY_CHARS} characters]`);
    expect(text.length).toBeLessThan(2_000);
  });
});
