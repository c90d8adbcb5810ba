import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import type { RuleGroupType } from 'react-querybuilder';
import { describe, expect, it } from 'vitest';
import type { FieldDescription, RuleGroupJson } from '../api/models';
import { RuleEditor } from '../components/RuleEditor';
import { completeRules, fromApiRules, indexFields, problemsByRule, toApiRules } from './rules';

const ops = (names: string[]) =>
  names.map((name) => ({
    name,
    label: name,
    arity: (name === 'null' || name === 'notNull' ? 'unary' : name === 'between' ? 'ternary' : 'binary') as
      | 'unary'
      | 'binary'
      | 'ternary',
  }));

const FIELDS: FieldDescription[] = [
  { name: 'total_spend', label: 'Total spend (₹)', type: 'number', inputType: 'number', nullable: false, operators: ops(['=', '<', '<=', '>', '>=', 'between', 'null']) },
  { name: 'visits', label: 'Visits (orders)', type: 'integer', inputType: 'number', nullable: false, operators: ops(['=', '<=', '>']) },
  { name: 'last_visit_at', label: 'Last visit date', type: 'date', inputType: 'date', nullable: true, operators: ops(['before', 'after', 'inLastDays', 'notInLastDays', 'null']) },
  { name: 'city', label: 'City', type: 'text', inputType: 'text', nullable: true, operators: ops(['=', 'contains', 'in']) },
];
const index = indexFields(FIELDS);

const SEED: RuleGroupJson = {
  combinator: 'and',
  rules: [
    { field: 'total_spend', operator: '>', value: 10000 },
    {
      combinator: 'or',
      rules: [
        { field: 'visits', operator: '<=', value: 3 },
        { field: 'last_visit_at', operator: 'notInLastDays', value: 90 },
      ],
    },
  ],
};

function Harness({ initial, onJson }: { initial: RuleGroupJson; onJson: (json: RuleGroupJson) => void }) {
  const [query, setQuery] = useState<RuleGroupType>(() => fromApiRules(initial));
  return (
    <RuleEditor
      fields={FIELDS}
      query={query}
      problems={{}}
      onQueryChange={(q) => {
        setQuery(q);
        onJson(toApiRules(q, index));
      }}
    />
  );
}

describe('rule editor ↔ API JSON', () => {
  it('gives back the API JSON it was given (ids added for the editor, dropped for the API)', () => {
    const query = fromApiRules(SEED);
    expect(query.id).toBeTruthy();
    expect(toApiRules(query, index)).toEqual(SEED);
  });

  it('shows the rules and turns edits into API JSON with numbers as numbers', async () => {
    let latest: RuleGroupJson | null = null;
    render(<Harness initial={SEED} onJson={(j) => (latest = j)} />);
    const values = screen.getAllByRole('spinbutton', { name: 'Value' });
    expect(values.map((v) => (v as HTMLInputElement).value)).toEqual(['10000', '3', '90']);
    await userEvent.clear(values[1]!);
    await userEvent.type(values[1]!, '5');
    expect(latest).toEqual({
      combinator: 'and',
      rules: [
        { field: 'total_spend', operator: '>', value: 10000 },
        {
          combinator: 'or',
          rules: [
            { field: 'visits', operator: '<=', value: 5 },
            { field: 'last_visit_at', operator: 'notInLastDays', value: 90 },
          ],
        },
      ],
    });
    expect(screen.getByText('days')).toBeInTheDocument();
  });

  it('adds a rule without losing what was typed', async () => {
    let latest: RuleGroupJson | null = null;
    render(<Harness initial={{ combinator: 'and', rules: [{ field: 'total_spend', operator: '>', value: 10000 }] }} onJson={(j) => (latest = j)} />);
    await userEvent.click(screen.getAllByRole('button', { name: '+ Rule' })[0]!);
    const rules = document.querySelectorAll('.rule');
    expect(rules).toHaveLength(2);
    await userEvent.selectOptions(within(rules[1] as HTMLElement).getByRole('combobox', { name: 'Field' }), 'visits');
    await userEvent.selectOptions(within(rules[1] as HTMLElement).getByRole('combobox', { name: 'Condition' }), '<=');
    await userEvent.type(within(rules[1] as HTMLElement).getByRole('spinbutton', { name: 'Value' }), '3');
    expect(latest).toEqual({
      combinator: 'and',
      rules: [
        { field: 'total_spend', operator: '>', value: 10000 },
        { field: 'visits', operator: '<=', value: 3 },
      ],
    });
  });

  it('names each icon button after its rule, and moves focus to the new or next rule', async () => {
    render(<Harness initial={SEED} onJson={() => undefined} />);
    const remove = screen.getByRole('button', { name: /^Remove rule 1 \(Total spend/ });
    expect(screen.getByRole('button', { name: /^Move rule 2\.1 \(Visits.*\) down$/ })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Remove group 2 (ANY of these)' })).toBeInTheDocument();
    await userEvent.click(remove);
    // The group took the removed rule's place: focus is on its first control, not lost.
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector("[data-path='[0]'] select")));
    await userEvent.click(screen.getAllByRole('button', { name: '+ Rule' })[0]!);
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector("[data-path='[1]'] select")));
  });

  it('previews only complete rules, and maps the API’s 422 paths back to the editor’s rules', () => {
    const query = fromApiRules({
      combinator: 'and',
      rules: [
        { field: 'city', operator: '=', value: '' },
        { field: 'total_spend', operator: 'null' },
        { combinator: 'or', rules: [{ field: 'visits', operator: '>', value: 'abc' }] },
      ],
    });
    const pruned = completeRules(query, index);
    expect(pruned?.json).toEqual({
      combinator: 'and',
      rules: [
        { field: 'total_spend', operator: 'null' },
        { combinator: 'or', rules: [{ field: 'visits', operator: '>', value: 'abc' }] },
      ],
    });
    const map = problemsByRule(query, [{ field: 'body.rules.rules[1].rules[0].value', message: "'abc' is not a number", type: 'value_error' }], pruned?.paths);
    const group = query.rules[2] as RuleGroupType;
    expect(map[group.rules[0]!.id!]).toEqual({ valid: false, reasons: ["'abc' is not a number"] });
    expect(completeRules(fromApiRules({ combinator: 'and', rules: [{ field: 'city', operator: '=', value: ' ' }] }), index)).toBeNull();
  });

  it('shows a rule’s problem in place', () => {
    const query = fromApiRules({ combinator: 'and', rules: [{ field: 'visits', operator: '>', value: -1 }] });
    const id = query.rules[0]!.id!;
    render(
      <RuleEditor fields={FIELDS} query={query} onQueryChange={() => undefined} problems={{ [id]: { valid: false, reasons: ['must be ≥ 0'] } }} />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('must be ≥ 0');
  });
});

describe('describeRules', () => {
  it('reads like a sentence, with rupees and counts formatted for India', async () => {
    const { describeRules } = await import('./rules');
    expect(describeRules(SEED, index)).toBe(
      'Total spend (₹) is more than ₹10,000 and (Visits (orders) is at most 3 or Last visit date not in the last 90 days)',
    );
  });
});
