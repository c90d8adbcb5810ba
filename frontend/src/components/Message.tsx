/**
 * The message: a textarea with placeholder chips that insert at the cursor, the
 * template's problems in plain words, and the message as three real customers read it.
 */
import { useRef } from 'react';
import { smsCount } from '../lib/sms';
import { parseTemplate, PLACEHOLDERS, renderTemplate, type Recipient } from '../lib/template';

const CHIP_LABEL: Record<(typeof PLACEHOLDERS)[number], string> = {
  first_name: 'First name',
  name: 'Full name',
  email: 'Email',
  phone: 'Phone',
  customer_id: 'Customer id',
};

interface EditorProps {
  value: string;
  onChange: (value: string) => void;
}

export function MessageEditor({ value, onChange }: EditorProps) {
  const area = useRef<HTMLTextAreaElement>(null);
  const { errors } = parseTemplate(value);
  const insert = (token: string) => {
    const el = area.current;
    const start = el?.selectionStart ?? value.length;
    const end = el?.selectionEnd ?? value.length;
    const next = value.slice(0, start) + token + value.slice(end);
    onChange(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + token.length, start + token.length);
    });
  };
  return (
    <div className="stack-tight">
      <label className="field">
        <span>Message</span>
        <textarea
          ref={area}
          rows={4}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          maxLength={2000}
          aria-describedby="message-help"
          aria-invalid={errors.length > 0}
        />
      </label>
      <div className="chips" role="group" aria-label="Insert a placeholder">
        {PLACEHOLDERS.map((p) => (
          <button key={p} type="button" className="chip" onClick={() => insert(`{${p}}`)}>
            {`{${p}}`} <span className="muted">{CHIP_LABEL[p]}</span>
          </button>
        ))}
      </div>
      <p id="message-help" className="hint">
        {value.length}/2000 · <code>{'{first_name|friend}'}</code> uses “friend” when the name is missing.
      </p>
      {errors.map((e) => (
        <p key={e} className="form-error" role="alert">
          {e}
        </p>
      ))}
    </div>
  );
}

export function MessagePreview({ template, recipients }: { template: string; recipients: Recipient[] }) {
  if (!recipients.length) {
    return <p className="muted small">The preview appears once the audience has members.</p>;
  }
  return (
    <ul className="previews" aria-label="Message preview">
      {recipients.map((r) => {
        const text = renderTemplate(template, r);
        return (
          <li key={r.customer_id ?? r.name ?? ''} className="bubble-row">
            <span className="bubble-to muted small">To {r.name || r.customer_id}</span>
            <span className="bubble">{text ?? 'Fix the message to see the preview.'}</span>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * SMS length and parts under the message box, for the longest of the rendered previews
 * (what a recipient's text actually costs), or the template itself before there are any.
 */
export function SmsCounter({ template, recipients }: { template: string; recipients: Recipient[] }) {
  const rendered = recipients.map((r) => renderTemplate(template, r)).filter((t): t is string => t != null);
  const text = rendered.length ? rendered.reduce((a, b) => (smsCount(b).units > smsCount(a).units ? b : a)) : template;
  const c = smsCount(text);
  return (
    <p className="hint" data-testid="sms-counter" data-segments={c.segments} data-encoding={c.encoding}>
      SMS: {c.units} {c.encoding === 'GSM-7' ? 'characters' : 'UCS-2 characters'} ·{' '}
      <strong>
        {c.segments} {c.segments === 1 ? 'message' : 'messages'}
      </strong>{' '}
      ({c.encoding}, {c.perSegment} per message{c.segments > 0 ? `, ${c.remaining} left` : ''})
      {rendered.length ? ' · the longest preview' : ''}
      {c.encoding === 'UCS-2' && ' · a character outside GSM-7 (e.g. ₹ or an emoji) cuts each message to 70'}
    </p>
  );
}
