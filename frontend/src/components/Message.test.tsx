import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate } from '../lib/template';
import { MessageEditor, MessagePreview } from './Message';

const PEOPLE = [
  { customer_id: 'C-1', name: 'Zoë Iyer', email: 'zoe@example.in' },
  { customer_id: 'C-2', name: '   ', email: null },
  { customer_id: 'C-3', name: 'राम शर्मा', phone: '+91 98xxxx' },
];

describe('message preview', () => {
  it('renders the template for each sample customer as delivery would', () => {
    render(<MessagePreview template="Hi {first_name}, {{code}}: {email|no email} {customer_id}" recipients={PEOPLE} />);
    const bubbles = screen.getAllByText(/^Hi /);
    expect(bubbles.map((b) => b.textContent)).toEqual([
      'Hi Zoë, {code}: zoe@example.in C-1',
      'Hi there, {code}: no email C-2',
      'Hi राम, {code}: no email C-3',
    ]);
  });

  it('matches shared/template.py on names, fallbacks and braces', () => {
    expect(renderTemplate('{name} / {phone}', { name: ' A  B ' })).toBe('A  B / ');
    expect(renderTemplate('{ first_name |friend}!', { name: '' })).toBe('friend!');
    expect(renderTemplate('{unknown}', {})).toBeNull();
    expect(parseTemplate('a } b {').errors).toHaveLength(2);
  });

  it('inserts placeholder chips at the cursor and flags unknown placeholders', async () => {
    function Harness() {
      const [value, setValue] = useState('Hi , welcome');
      return (
        <>
          <MessageEditor value={value} onChange={setValue} />
          <output data-testid="value">{value}</output>
        </>
      );
    }
    render(<Harness />);
    const area = screen.getByLabelText('Message') as HTMLTextAreaElement;
    area.setSelectionRange(3, 3);
    await userEvent.click(screen.getByRole('button', { name: /\{first_name\}/ }));
    expect(screen.getByTestId('value')).toHaveTextContent('Hi {first_name}, welcome');
    await userEvent.type(area, ' {{bogus}');
    expect(screen.getByRole('alert')).toHaveTextContent('unknown placeholder {bogus}');
  });
});
