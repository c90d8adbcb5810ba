/**
 * Message templates, as shared/template.py defines them (campaigns validates with it,
 * delivery renders with it): `{field}`, `{field|fallback}`, `{{` and `}}` for braces.
 * The dashboard parses and renders the same way so the preview is what people get.
 */

export const PLACEHOLDERS = ['first_name', 'name', 'email', 'phone', 'customer_id'] as const;
export type PlaceholderField = (typeof PLACEHOLDERS)[number];

const DEFAULT_FALLBACK: Partial<Record<PlaceholderField, string>> = {
  name: 'there',
  first_name: 'there',
};

type Part = string | { field: PlaceholderField; fallback: string | null };

export interface Recipient {
  customer_id?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

export interface ParsedTemplate {
  parts: Part[];
  errors: string[];
}

function isField(name: string): name is PlaceholderField {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

export function parseTemplate(text: string): ParsedTemplate {
  const parts: Part[] = [];
  const errors: string[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '{' && text.startsWith('{{', i)) {
      literal += '{';
      i += 2;
    } else if (char === '}' && text.startsWith('}}', i)) {
      literal += '}';
      i += 2;
    } else if (char === '}') {
      errors.push(`unmatched '}' at position ${i} (write '}}' for a literal brace)`);
      i += 1;
    } else if (char === '{') {
      const end = text.indexOf('}', i + 1);
      if (end < 0) {
        errors.push(`unclosed '{' at position ${i} (write '{{' for a literal brace)`);
        break;
      }
      const inner = text.slice(i + 1, end);
      const bar = inner.indexOf('|');
      const name = (bar < 0 ? inner : inner.slice(0, bar)).trim();
      if (!name) {
        errors.push(`empty placeholder at position ${i}`);
      } else if (!isField(name)) {
        errors.push(`unknown placeholder {${name}} at position ${i}`);
      } else {
        if (literal) parts.push(literal);
        literal = '';
        parts.push({ field: name, fallback: bar < 0 ? null : inner.slice(bar + 1) });
      }
      i = end + 1;
    } else {
      literal += char;
      i += 1;
    }
  }
  if (literal) parts.push(literal);
  return { parts, errors };
}

function values(r: Recipient): Record<PlaceholderField, string> {
  const text = (v: string | null | undefined) => (v ?? '').trim();
  const name = text(r.name);
  return {
    name,
    first_name: name ? (name.split(/\s+/u)[0] ?? '') : '',
    email: text(r.email),
    phone: text(r.phone),
    customer_id: text(r.customer_id),
  };
}

/** The message one recipient reads; null when the template has errors. */
export function renderTemplate(text: string, recipient: Recipient): string | null {
  const { parts, errors } = parseTemplate(text);
  if (errors.length) return null;
  const v = values(recipient);
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const value = v[p.field];
      if (value) return value;
      return p.fallback ?? DEFAULT_FALLBACK[p.field] ?? '';
    })
    .join('');
}
