/**
 * Names for the rule editor's icon buttons (✕ ↑ ↓), saying which rule they act on:
 * "rule 2 (Total spend more than 10000)", "group 1.2 (ANY of these)".
 */
import type { RuleGroupTypeAny, RuleType } from 'react-querybuilder';
import { operatorLabel, type FieldIndex } from './rules';

function position(path: number[]): string {
  return path.map((i) => i + 1).join('.');
}

function valueText(value: unknown): string {
  if (value == null || value === '') return '';
  if (Array.isArray(value)) return value.map(String).join(' and ');
  return String(value);
}

export function ruleName(r: RuleGroupTypeAny | RuleType, path: number[], index: FieldIndex): string {
  if ('rules' in r) {
    const how = r.combinator === 'or' ? 'ANY of these' : 'ALL of these';
    return path.length ? `group ${position(path)} (${how})` : 'all rules';
  }
  const field = index.get(r.field);
  const op = field?.operators.find((o) => o.name === r.operator);
  const words = [field?.label ?? r.field, field && op ? operatorLabel(field, op) : r.operator, valueText(r.value)]
    .filter(Boolean)
    .join(' ');
  return `rule ${position(path)} (${words})`;
}
