import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { Severity } from '../../../core/types.ts';
import { type Channel, commonChannelFields, scrubSecrets } from '../channel.ts';
import { type MessageView, renderView, viewToText } from '../render.ts';
import { type TryResult, withRetries } from '../retry.ts';

/**
 * E-mail over SMTP with nodemailer: a plain-text part and an HTML part (RFC 2046
 * multipart/alternative) built from the same view. Every interpolated string in the HTML is
 * entity-escaped, and links are only http(s). SMTP 4xx replies and dropped connections are
 * retried; 5xx replies and refused logins are not (RFC 5321 §4.2.1: 4yz is transient, 5yz
 * permanent).
 */

export const emailConfigSchema = z
  .object({
    type: z.literal('email'),
    ...commonChannelFields,
    smtp: z
      .object({
        host: z.string().min(1).max(253),
        port: z.int().min(1).max(65_535).default(587),
        /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it */
        secure: z.boolean().default(false),
        /** refuse to send unless STARTTLS succeeds */
        requireTLS: z.boolean().default(false),
        /** never try STARTTLS: for a relay on the same host or a test server */
        ignoreTLS: z.boolean().default(false),
        user: z.string().min(1).max(256).optional(),
        password: z.string().min(1).max(1_024).optional(),
      })
      .strict(),
    from: z.email(),
    to: z.array(z.email()).min(1).max(100),
    cc: z.array(z.email()).max(100).optional(),
  })
  .strict();

export type EmailConfig = z.infer<typeof emailConfigSchema>;

const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const SEVERITY_COLOURS: Record<Severity, string> = {
  CRITICAL: '#7b0000',
  HIGH: '#c0392b',
  MEDIUM: '#d68910',
  LOW: '#2e86c1',
  NONE: '#7f8c8d',
  UNKNOWN: '#7f8c8d',
};

export function viewToHtml(view: MessageView): string {
  const parts = [`<h2>${escapeHtml(view.subject)}</h2>`, '<table>'];
  for (const [label, value] of view.facts) {
    parts.push(`<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`);
  }
  parts.push('</table>');
  for (const section of view.sections) {
    parts.push(`<h3>${escapeHtml(section.title)}</h3>`, '<ul>');
    for (const f of section.findings) {
      const id = f.url === undefined ? escapeHtml(f.id) : `<a href="${escapeHtml(f.url)}">${escapeHtml(f.id)}</a>`;
      const badge = `<b style="color:${SEVERITY_COLOURS[f.severity]}">${f.severity}</b>`;
      const kev = f.kev ? ' <b>known exploited</b>' : '';
      const summary = f.summary === undefined ? '' : `<br>${escapeHtml(f.summary)}`;
      parts.push(`<li>${badge} ${id} in ${escapeHtml(f.packageLabel)}, ${escapeHtml(f.fix)}${kev}${summary}</li>`);
    }
    parts.push('</ul>');
  }
  for (const note of view.notes) parts.push(`<p><i>${escapeHtml(note)}</i></p>`);
  return `<!doctype html><html><body>${parts.join('\n')}</body></html>`;
}

function classify(err: unknown, secrets: readonly string[]): TryResult {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const error = scrubSecrets(`SMTP: ${e.message ?? String(err)}`, secrets);
  const status = typeof e.responseCode === 'number' ? { status: e.responseCode } : {};
  if (e.responseCode !== undefined) {
    return { ok: false, retryable: e.responseCode >= 400 && e.responseCode < 500, error, ...status };
  }
  return { ok: false, retryable: e.code !== undefined && TRANSIENT_CODES.has(e.code), error };
}

export const emailChannel = {
  type: 'email',
  schema: emailConfigSchema,
  secretsOf: (config) => (config.smtp.password === undefined ? [] : [config.smtp.password]),
  create(config, deps) {
    const { smtp } = config;
    const auth = smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } };
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTLS,
      ignoreTLS: smtp.ignoreTLS,
      connectionTimeout: deps.retry.timeoutMs,
      greetingTimeout: deps.retry.timeoutMs,
      socketTimeout: deps.retry.timeoutMs,
      // nodemailer's own logger would print the AUTH exchange; it stays off.
      logger: false,
      debug: false,
      ...auth,
    });
    const secrets = config.smtp.password === undefined ? [] : [config.smtp.password];
    return {
      prepare(notification) {
        const view = renderView(notification);
        const text = viewToText(view);
        const content = {
          from: config.from,
          to: config.to,
          ...(config.cc === undefined ? {} : { cc: config.cc }),
          subject: view.subject,
          text,
          html: viewToHtml(view),
        };
        const headers: Record<string, string> = { from: config.from, to: config.to.join(', '), subject: view.subject };
        if (config.cc !== undefined) headers.cc = config.cc.join(', ');
        return { content, request: { target: `smtp://${smtp.host}:${smtp.port}`, headers, body: text } };
      },
      send(message, context) {
        const mail = message.content as {
          from: string;
          to: string[];
          cc?: string[];
          subject: string;
          text: string;
          html: string;
        };
        return withRetries(
          deps.retry,
          deps.clock,
          async () => {
            try {
              await transport.sendMail({ ...mail, headers: { 'X-Vigil-Delivery': context.deliveryId } });
              return { ok: true };
            } catch (err) {
              return classify(err, secrets);
            }
          },
          context.onAttempt,
          context.signal,
        );
      },
    };
  },
} satisfies Channel<EmailConfig>;
