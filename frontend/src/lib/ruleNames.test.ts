import { describe, expect, it } from 'vitest';
import type { FieldDescription } from '../api/models';
import { indexFields } from './rules';
import { ruleName } from './ruleNames';

const fields: FieldDescription[] = [
  {
    name: 'total_spend',
    label: 'Total spend',
    type: 'number',
    inputType: 'number',
    nullable: false,
    operators: [{ name: '>', label: '>', arity: 'binary' }],
  },
];
const index = indexFields(fields);

describe('ruleName', () => {
  it('names a rule by its place and what it says', () => {
    const name = ruleName({ field: 'total_spend', operator: '>', value: 10000 }, [1], index);
    expect(name).toMatch(/^rule 2 \(Total spend .+ 10000\)$/);
  });
  it('names nested groups by their path', () => {
    expect(ruleName({ combinator: 'or', rules: [] }, [0, 2], index)).toBe('group 1.3 (ANY of these)');
    expect(ruleName({ field: 'city', operator: 'null', value: '' }, [0, 0], index)).toBe('rule 1.1 (city null)');
  });
});
