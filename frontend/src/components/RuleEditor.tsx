/**
 * The nested AND/OR rule editor (react-querybuilder), built from the fields the segments
 * API describes. A rule the API refused shows the API's message in place.
 */
import { createContext, useContext, useEffect, useMemo, useRef } from 'react';
import {
  QueryBuilder,
  ValueEditor,
  ValueSelector,
  type ActionProps,
  type ShiftActionsProps,
  type ValueSelectorProps,
  type RuleGroupType,
  type RuleGroupTypeAny,
  type RuleType,
  type ValidationMap,
  type ValueEditorProps,
} from 'react-querybuilder';
import 'react-querybuilder/dist/query-builder-layout.css';
import type { FieldDescription } from '../api/models';
import { indexFields, inputTypeFor, toBuilderFields, type FieldIndex } from '../lib/rules';
import { ruleName } from '../lib/ruleNames';

/** Where focus goes once the query has changed: the new rule, or the one after a removal. */
type FocusIntent = { kind: 'add'; group: number[] } | { kind: 'remove'; path: number[] };

interface EditorContext {
  index: FieldIndex;
  intend: (intent: FocusIntent) => void;
}
const Ctx = createContext<EditorContext | null>(null);

function useEditor(): EditorContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('rule editor actions outside RuleEditor');
  return ctx;
}

function isGroup(r: RuleGroupTypeAny | RuleType): r is RuleGroupTypeAny {
  return 'rules' in r;
}

/** ✕ with a name that says which rule or group it removes. */
function RemoveAction(props: ActionProps) {
  const { index, intend } = useEditor();
  const name = `Remove ${ruleName(props.ruleOrGroup, props.path, index)}`;
  return (
    <button
      type="button"
      className={props.className}
      aria-label={name}
      title={name}
      disabled={props.disabled}
      onClick={(e) => {
        intend({ kind: 'remove', path: props.path });
        props.handleOnClick(e);
      }}
    >
      ✕
    </button>
  );
}

/** + Rule / + Group, naming the group they add to when it is not the top one. */
function AddAction(props: ActionProps) {
  const { index, intend } = useEditor();
  const where = props.path.length ? ` to ${ruleName(props.ruleOrGroup, props.path, index)}` : '';
  return (
    <button
      type="button"
      className={props.className}
      title={typeof props.title === 'string' ? `${props.title}${where}` : undefined}
      aria-label={where ? `${String(props.label).replace(/^\+\s*/, 'Add a ')}${where}` : undefined}
      disabled={props.disabled}
      onClick={(e) => {
        intend({ kind: 'add', group: props.path });
        props.handleOnClick(e);
      }}
    >
      {props.label}
    </button>
  );
}

/** ↑ ↓ with names that say which rule moves. */
function ShiftActions(props: ShiftActionsProps) {
  const { index } = useEditor();
  const name = ruleName(props.ruleOrGroup, props.path, index);
  if (props.path.length === 0) return null;
  return (
    <div className={props.className}>
      <button type="button" aria-label={`Move ${name} up`} title={`Move ${name} up`} disabled={props.disabled || props.shiftUpDisabled} onClick={(e) => props.shiftUp(e)}>
        ↑
      </button>
      <button type="button" aria-label={`Move ${name} down`} title={`Move ${name} down`} disabled={props.disabled || props.shiftDownDisabled} onClick={(e) => props.shiftDown(e)}>
        ↓
      </button>
    </div>
  );
}

function childCount(query: RuleGroupTypeAny, path: number[]): number | null {
  let node: RuleGroupTypeAny | RuleType = query;
  for (const i of path) {
    if (!isGroup(node)) return null;
    const next: RuleGroupTypeAny | RuleType | string | undefined = node.rules[i];
    if (next == null || typeof next === 'string') return null;
    node = next;
  }
  return isGroup(node) ? node.rules.length : null;
}

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
  const box = useRef<HTMLDivElement>(null);
  const intent = useRef<FocusIntent | null>(null);
  const ctx = useMemo<EditorContext>(() => ({ index, intend: (i) => (intent.current = i) }), [index]);

  // After an add or a remove, focus is not left on a button that has gone (or on the
  // page's body): it moves to the new rule, or to the rule that took the removed one's
  // place (the one before when it was last; the group's "+ Rule" when none is left).
  useEffect(() => {
    if (!intent.current || !box.current) return;
    const root = box.current;
    // The builder renders the new query from its own store a moment later (and may report
    // it more than once): focus once it has settled.
    const timer = setTimeout(() => {
      const wanted = intent.current;
      intent.current = null;
      if (wanted) place(root, wanted);
    }, 0);
    return () => clearTimeout(timer);
  }, [query]);

  function place(root: HTMLElement, wanted: FocusIntent) {
    const at = (path: number[]) => root.querySelector<HTMLElement>(`[data-path='${JSON.stringify(path)}']`);
    const focusIn = (el: HTMLElement | null) => {
      // Its first field (a rule's field, a group's AND/OR), not a disabled arrow.
      const target =
        el?.querySelector<HTMLElement>('select:not(:disabled), input:not(:disabled)') ??
        el?.querySelector<HTMLElement>('button:not(:disabled)');
      target?.focus();
      return target != null;
    };
    if (wanted.kind === 'add') {
      const n = childCount(query, wanted.group);
      if (n) focusIn(at([...wanted.group, n - 1]));
      return;
    }
    const parent = wanted.path.slice(0, -1);
    const i = wanted.path[wanted.path.length - 1] ?? 0;
    const n = childCount(query, parent) ?? 0;
    if (n > 0 && focusIn(at([...parent, Math.min(i, n - 1)]))) return;
    at(parent)?.querySelector<HTMLElement>('.ruleGroup-addRule')?.focus();
  }

  return (
    <Ctx.Provider value={ctx}>
    <div className="rule-editor" ref={box}>
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
          removeRuleAction: RemoveAction,
          removeGroupAction: RemoveAction,
          addRuleAction: AddAction,
          addGroupAction: AddAction,
          shiftActions: ShiftActions,
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
    </Ctx.Provider>
  );
}
