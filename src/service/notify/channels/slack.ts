import { z } from 'zod';
import { clipText } from '../bound.ts';
import { type Channel, commonChannelFields, httpUrl, REDACTED } from '../channel.ts';
import { postWithRetries, safeOrigin } from '../http-post.ts';
import { type FindingLine, type MessageView, renderView } from '../render.ts';

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks) with a Block Kit message
 * (https://api.slack.com/reference/block-kit/blocks). Text from advisories and registries goes
 * only into `plain_text` objects, which Slack never parses for markup, links or mentions; `mrkdwn`
 * carries only Vigil's own words and vetted links, with &, < and > escaped as Slack's "Escaping
 * text" section requires. The webhook URL is itself the credential, so only its origin is ever
 * recorded or shown.
 */

export const slackConfigSchema = z
  .object({
    type: z.literal('slack'),
    ...commonChannelFields,
    url: httpUrl,
  })
  .strict();

export type SlackConfig = z.infer<typeof slackConfigSchema>;

/** Block Kit limits: 50 blocks a message, 150 characters in a header, 2,000 in a field or context element. */
const MAX_BLOCKS = 50;
const HEADER_CHARS = 150;
const ELEMENT_CHARS = 2_000;
/** Slack cuts the notification text at 40,000 characters; stay well below. */
const FALLBACK_CHARS = 3_000;

/** Slack's mrkdwn escaping: only these three characters are control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

const plain = (text: string, max = ELEMENT_CHARS): TextObject => ({
  type: 'plain_text',
  text: clipText(text, max),
  emoji: false,
});

function findingBlocks(f: FindingLine): Block[] {
  const kev = f.kev ? ', known exploited' : '';
  const blocks: Block[] = [
    { type: 'section', text: plain(`[${f.severity}] ${f.id} in ${f.packageLabel}: ${f.fix}${kev}`) },
  ];
  const context: TextObject[] = [];
  if (f.summary !== undefined) context.push(plain(f.summary));
  // A link label is Vigil's own word; a URL with "|" would split Slack's <url|label> syntax.
  if (f.url !== undefined && !f.url.includes('|'))
    context.push({ type: 'mrkdwn', text: `<${escapeMrkdwn(f.url)}|advisory>` });
  if (context.length > 0) blocks.push({ type: 'context', elements: context });
  return blocks;
}

export function slackMessage(view: MessageView): { text: string; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: plain(view.subject, HEADER_CHARS) }];
  if (view.facts.length > 0) {
    blocks.push({
      type: 'section',
      fields: view.facts.slice(0, 10).map(([label, value]) => plain(`${label}: ${value}`)),
    });
  }
  const notes = [...view.notes];
  let unlisted = 0;
  for (const section of view.sections) {
    const title: Block = { type: 'section', text: { type: 'mrkdwn', text: `*${escapeMrkdwn(section.title)}*` } };
    // Keep one block free for the note about findings left out.
    if (blocks.length + 2 > MAX_BLOCKS - 1) {
      unlisted += section.findings.length;
      continue;
    }
    blocks.push({ type: 'divider' }, title);
    for (const [i, finding] of section.findings.entries()) {
      const more = findingBlocks(finding);
      if (blocks.length + more.length > MAX_BLOCKS - 1) {
        unlisted += section.findings.length - i;
        break;
      }
      blocks.push(...more);
    }
  }
  if (unlisted > 0) notes.push(`${unlisted} listed findings left out: a Slack message holds ${MAX_BLOCKS} blocks.`);
  if (notes.length > 0) blocks.push({ type: 'context', elements: [plain(notes.join(' '))] });
  return { text: clipText(escapeMrkdwn(view.subject), FALLBACK_CHARS), blocks };
}

export const slackChannel = {
  type: 'slack',
  schema: slackConfigSchema,
  secretsOf: (config) =>
    [config.url, new URL(config.url).pathname + new URL(config.url).search].filter((s) => s !== '/'),
  create(config, deps) {
    const target = `${safeOrigin(config.url)}/${REDACTED}`;
    return {
      prepare(notification) {
        const body = JSON.stringify(slackMessage(renderView(notification)));
        return { content: { body }, request: { target, headers: {}, body } };
      },
      send(message, context) {
        return postWithRetries(config.url, String(message.content.body), () => ({}), deps, context);
      },
    };
  },
} satisfies Channel<SlackConfig>;
