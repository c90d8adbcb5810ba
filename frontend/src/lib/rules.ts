/**
 * Between react-querybuilder's editor state and the API's rule JSON (ARCHITECTURE.md,
 * Audience rules): editor ids dropped, numbers sent as numbers, incomplete rules left out
 * of previews (so a half-typed rule never turns the count into an error), and the API's
 * 422 paths mapped back to the rule they concern.
 */
import {
  findPath,
  prepareRuleGroup,
  type Field,
  type RuleGroupType,
  type RuleType,
  type ValidationMap,
} from 'react-querybuilder';
import type { FieldDescription, ProblemItem, RuleGroupJson, RuleJson } from '../api/models';
import { formatCount, formatInr } from './format';

export type FieldIndex = Map<string, FieldDescription>;

export function indexFields(fields: FieldDescription[]): FieldIndex {
  return new Map(fields.map((f) => [f.name, f]));
}

function isUnary(field: FieldDescription | undefined, operator: string): boolean {
  const op = field?.operators.find((o) => o.name === operator);
  return op ? op.arity === 'unary' : operator === 'null' || operator === 'notNull';
}

function isDays(operator: string): boolean {
  return operator === 'inLastDays' || operator === 'notInLastDays';
}

/** The editor's input type for a field under an operator ("in the last N days" is a number). */
export function inputTypeFor(field: FieldDescription | undefined, operator: string): string {
  if (isDays(operator)) return 'number';
  if (field?.type === 'date') return 'date';
  if (field?.type === 'number' || field?.type === 'integer') return 'number';
  return 'text';
}

/** Words a marketer reads instead of symbols; anything else keeps the API's label. */
const FRIENDLY: Record<string, Record<string, string>> = {
  number: { '=': 'is', '!=': 'is not', '<': 'is less than', '<=': 'is at most', '>': 'is more than', '>=': 'is at least', between: 'is between' },
  date: { before: 'is before', after: 'is after', between: 'is between', inLastDays: 'in the last', notInLastDays: 'not in the last' },
  text: { '=': 'is', '!=': 'is not', contains: 'contains', beginsWith: 'begins with', in: 'is one of (comma-separated)' },
};

export function operatorLabel(field: FieldDescription, operator: { name: string; label: string }): string {
  const type = field.type === 'integer' ? 'number' : field.type;
  return FRIENDLY[type]?.[operator.name] ?? operator.label;
}

/** react-querybuilder fields, with the API's labels and operators. */
export function toBuilderFields(fields: FieldDescription[]): Field[] {
  return fields.map((f) => ({
    name: f.name,
    value: f.name,
    label: f.label,
    operators: f.operators.map((o) => ({ name: o.name, value: o.name, label: operatorLabel(f, o), arity: o.arity })),
    defaultOperator: f.operators.find((o) => o.arity === 'binary')?.name,
  }));
}

function toNumberIfNumeric(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
}

function ruleToJson(rule: RuleType, fields: FieldIndex): RuleJson {
  const field = fields.get(rule.field);
  if (isUnary(field, rule.operator)) return { field: rule.field, operator: rule.operator };
  const numeric = field?.type === 'number' || field?.type === 'integer';
  const value =
    isDays(rule.operator) || (numeric && rule.operator !== 'between')
      ? toNumberIfNumeric(rule.value)
      : rule.value;
  return { field: rule.field, operator: rule.operator, value };
}

/** The editor's query as the API's JSON (everything the editor holds, complete or not). */
export function toApiRules(group: RuleGroupType, fields: FieldIndex): RuleGroupJson {
  return {
    combinator: group.combinator,
    ...(group.not ? { not: true } : {}),
    rules: group.rules.flatMap((r): (RuleGroupJson | RuleJson)[] => {
      if (typeof r === 'string') return [];
      return 'rules' in r ? [toApiRules(r, fields)] : [ruleToJson(r, fields)];
    }),
  };
}

/** The API's JSON as an editor query (with the ids the editor keys its rows by). */
export function fromApiRules(json: RuleGroupJson): RuleGroupType {
  return prepareRuleGroup(structuredClone(json) as RuleGroupType);
}

/** A new audience starts with the rule most shops begin with: total spend above some amount. */
export function starterQuery(): RuleGroupType {
  return fromApiRules({ combinator: 'and', rules: [{ field: 'total_spend', operator: '>', value: '' }] });
}

function isBlank(value: unknown): boolean {
  if (value == null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0 || value.some(isBlank);
  return false;
}

function isComplete(rule: RuleType, fields: FieldIndex): boolean {
  const field = fields.get(rule.field);
  if (isUnary(field, rule.operator)) return true;
  if (rule.operator === 'between') {
    const parts = Array.isArray(rule.value) ? rule.value : String(rule.value ?? '').split(',');
    return parts.length === 2 && !parts.some(isBlank);
  }
  return !isBlank(rule.value);
}

export interface Pruned {
  json: RuleGroupJson;
  /** Path in the sent JSON ("1.0") → path in the editor ([2, 0]). */
  paths: Map<string, number[]>;
}

/** The complete part of the query, for previews; null when nothing is complete yet. */
export function completeRules(query: RuleGroupType, fields: FieldIndex): Pruned | null {
  const paths = new Map<string, number[]>();
  const walk = (group: RuleGroupType, sent: number[], orig: number[]): RuleGroupJson | null => {
    const rules: (RuleGroupJson | RuleJson)[] = [];
    group.rules.forEach((r, i) => {
      if (typeof r === 'string') return;
      const childSent = [...sent, rules.length];
      if ('rules' in r) {
        const child = walk(r, childSent, [...orig, i]);
        if (child) {
          paths.set(childSent.join('.'), [...orig, i]);
          rules.push(child);
        }
      } else if (isComplete(r, fields)) {
        paths.set(childSent.join('.'), [...orig, i]);
        rules.push(ruleToJson(r, fields));
      }
    });
    if (!rules.length) return null;
    return { combinator: group.combinator, ...(group.not ? { not: true } : {}), rules };
  };
  const json = walk(query, [], []);
  return json ? { json, paths } : null;
}

/** "body.rules.rules[1].rules[0].value[1]" → [1, 0] (the rule or group the problem is about). */
export function problemPath(path: string): number[] {
  return [...path.matchAll(/rules\[(\d+)\]/g)].map((m) => Number(m[1]));
}

/** The API's 422 problems as react-querybuilder validation results, keyed by rule id. */
export function problemsByRule(
  query: RuleGroupType,
  problems: ProblemItem[],
  paths?: Map<string, number[]>,
): ValidationMap {
  const map: ValidationMap = {};
  for (const problem of problems) {
    if (!problem.field.startsWith('body.rules')) continue;
    const sent = problemPath(problem.field);
    const original = paths ? paths.get(sent.join('.')) : sent;
    if (!original) continue;
    const target = findPath(original, query);
    if (!target || !target.id) continue;
    const previous = map[target.id];
    const reasons =
      previous && typeof previous === 'object' && previous.reasons ? [...previous.reasons] : [];
    reasons.push(problem.message ?? 'invalid');
    map[target.id] = { valid: false, reasons };
  }
  return map;
}

/** A plain-language one-liner of a rule group, for lists ("Total spend (₹) > 10000 and …"). */
export function describeRules(json: RuleGroupJson | null | undefined, fields?: FieldIndex): string {
  if (!json) return '';
  const parts = json.rules.map((r) => {
    if ('rules' in r) return `(${describeRules(r, fields)})`;
    const field = fields?.get(r.field);
    const label = field?.label ?? r.field;
    const found = field?.operators.find((o) => o.name === r.operator);
    const op = field && found ? operatorLabel(field, found) : r.operator;
    const unit = r.operator === 'inLastDays' || r.operator === 'notInLastDays' ? ' days' : '';
    const show = (v: unknown): string => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (field?.type === 'number' && Number.isFinite(n)) return formatInr(n);
      if (field?.type === 'integer' && Number.isFinite(n)) return formatCount(n);
      return String(v);
    };
    const parts = Array.isArray(r.value) ? r.value : typeof r.value === 'string' && r.operator === 'between' ? r.value.split(',') : [r.value];
    const value = r.value == null ? '' : ` ${parts.map(show).join(' and ')}`;
    return `${label} ${op}${value}${unit}`;
  });
  return `${json.not ? 'not ' : ''}${parts.join(` ${json.combinator.toLowerCase()} `)}`;
}
