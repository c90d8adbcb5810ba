/**
 * The nested AND/OR rule editor (react-querybuilder), built from the fields the segments
 * API describes. A rule the API refused shows the API's message in place.
 */
import { useMemo } from 'react';
import {
  QueryBuilder,
  ValueEditor,
  ValueSelector,
  type ValueSelectorProps,
  type RuleGroupType,
  type ValidationMap,
  type ValueEditorProps,
} from 'react-querybuilder';
import 'react-querybuilder/dist/query-builder-layout.css';
import type { FieldDescription } from '../api/models';
import { indexFields, inputTypeFor, toBuilderFields } from '../lib/rules';

/** react-querybuilder titles its controls; a real label makes them named for everyone. */
function LabelledSelector(props: ValueSelectorProps) {
  return (
    <label className="rqb-label">
      <span className="sr-only">{props.title}</span>
      <ValueSelector {...props} />
    </label>
  );
}

function ValueWithProblem(props: ValueEditorProps) {
  const validation = props.validation;
  const reasons =
    validation && typeof validation === 'object' && !validation.valid ? (validation.reasons ?? []) : [];
  const days = props.operator === 'inLastDays' || props.operator === 'notInLastDays';
  return (
    <span className="rule-value-wrap">
      <label className="rqb-label">
        <span className="sr-only">{props.title ?? 'Value'}</span>
        <ValueEditor {...props} />
      </label>
      {days && <span className="rule-suffix">days</span>}
      {reasons.length > 0 && (
        <span className="rule-problem" role="alert">
          {reasons.map(String).join('; ')}
        </span>
      )}
    </span>
  );
}

interface Props {
  fields: FieldDescription[];
  query: RuleGroupType;
  onQueryChange: (query: RuleGroupType) => void;
  problems: ValidationMap;
}

export function RuleEditor({ fields, query, onQueryChange, problems }: Props) {
  const builderFields = useMemo(() => toBuilderFields(fields), [fields]);
  const index = useMemo(() => indexFields(fields), [fields]);
  return (
    <div className="rule-editor">
      <QueryBuilder
        fields={builderFields}
        query={query}
        onQueryChange={onQueryChange}
        getInputType={(field, operator) => inputTypeFor(index.get(field), operator)}
        validator={() => problems}
        controlElements={{
          valueEditor: ValueWithProblem,
          fieldSelector: LabelledSelector,
          operatorSelector: LabelledSelector,
          combinatorSelector: LabelledSelector,
        }}
        showShiftActions
        addRuleToNewGroups
        resetOnOperatorChange={false}
        combinators={[
          { name: 'and', value: 'and', label: 'ALL of these (AND)' },
          { name: 'or', value: 'or', label: 'ANY of these (OR)' },
        ]}
        translations={{
          addRule: { label: '+ Rule', title: 'Add a rule' },
          addGroup: { label: '+ Group', title: 'Add a group of rules' },
          removeRule: { label: '✕', title: 'Remove this rule' },
          removeGroup: { label: '✕', title: 'Remove this group' },
          fields: { title: 'Field' },
          operators: { title: 'Condition' },
          value: { title: 'Value' },
          combinators: { title: 'Match' },
          shiftActionUp: { label: '↑', title: 'Move up' },
          shiftActionDown: { label: '↓', title: 'Move down' },
        }}
      />
    </div>
  );
}
