import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AudienceSize } from './AudienceSize';

const preview = {
  size: 12731,
  took_ms: 4.2,
  source: 'cache' as const,
  sample: [{ customer_id: 'c1', name: 'Asha' }],
  sentence: 'Customers who spent more than ₹10,000 and visited at most 3 times',
  conditions: [
    { index: 0, sentence: 'spent more than ₹10,000', size: 40210 },
    { index: 1, sentence: 'visited at most 3 times', size: 81442 },
  ],
};

describe('the audience size live region', () => {
  it('announces only the settled size, not the panel', () => {
    const { rerender } = render(<AudienceSize preview={preview} current slow={false} empty={false} error={null} />);
    const status = screen.getByRole('status');
    expect(status).toHaveTextContent(/^12,731 customers match$/);
    expect(status).not.toHaveTextContent('Asha');
    expect(screen.getAllByRole('status')).toHaveLength(1);
    expect(document.querySelector('[aria-live]:not([role="status"])')).toBeNull(); // the panel itself is not live
    rerender(<AudienceSize preview={preview} current={false} slow={false} empty={false} error={null} />);
    expect(status).toBeEmptyDOMElement(); // counting: nothing said (no stale number)
    rerender(<AudienceSize preview={undefined} current slow={false} empty={false} error="Segments are down." />);
    expect(status).toHaveTextContent('Audience not counted: Segments are down.');
  });

  it('says the rule in words and what each condition matches alone', () => {
    render(<AudienceSize preview={preview} current slow={false} empty={false} error={null} />);
    expect(screen.getByTestId('audience-sentence')).toHaveTextContent(preview.sentence);
    const rows = screen.getAllByTestId('condition-count');
    expect(rows.map((r) => r.textContent)).toEqual(['spent more than ₹10,00040,210', 'visited at most 3 times81,442']);
  });

  it('shows no per-condition list for a single condition', () => {
    const one = { ...preview, conditions: [{ index: 0, sentence: 'spent more than ₹10,000', size: null }] };
    render(<AudienceSize preview={one} current slow={false} empty={false} error={null} />);
    expect(screen.queryAllByTestId('condition-count')).toHaveLength(0);
  });
});
