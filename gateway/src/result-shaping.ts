// @apollo/gateway shapes every response by interpreting the operation anew for each object of
// the data: for every field of every list item it looks up the @skip/@include directives (a
// filtered array each time), the field's type chain and response name, and returns a result
// object per value. On a chat page (50 messages with authors, reactions, replies) that was 15%
// of the gateway's CPU. This module does the same shaping from a plan compiled once per
// operation: per selection, its conditions, response name and type chain are read once, and
// nested selections are compiled per concrete type on first use. The output, including every
// error and null bubbling, is the same as @apollo/gateway's computeResponse
// (gateway/test/result-shaping.test.ts compares the two); its assertion messages are kept too.
// No library offers this; it replaces one export of @apollo/gateway (see installResultShaping).
import {
  assert,
  ERRORS,
  isCompositeType,
  isCustomScalarType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isSubtype,
  typenameFieldName,
  Variable,
  type CompositeType,
  type EnumType,
  type FieldSelection,
  type NamedType,
  type Operation,
  type ScalarType,
  type Schema,
  type Selection,
  type SelectionSet,
  type Type,
} from '@apollo/federation-internals';
import type { DefinitionNode, DocumentNode, GraphQLError } from 'graphql';

type Path = Array<string | number>;
/** What is left of a field's type once lists, non-null and composite types are unwrapped. */
type LeafType = ScalarType | EnumType;
type Data = Record<string, unknown>;

interface Parameters {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: GraphQLError[];
  introspectionHandling: (selection: FieldSelection) => unknown;
}

/** One @skip or @include, its `if` read once: a constant or a variable's name. */
interface Condition {
  /** Only printed, in the assertion's message. */
  directive: { toString(): string };
  ifArg: boolean | Variable;
}

const enum StepKind {
  Field,
  Typename,
  Introspection,
  Fragment,
}

type Step =
  | { kind: StepKind.Field; skip?: Condition; include?: Condition; responseName: string; shape: Shape; hasSelection: boolean }
  | { kind: StepKind.Typename; skip?: Condition; include?: Condition; responseName: string }
  | { kind: StepKind.Introspection; skip?: Condition; include?: Condition; responseName: string; selection: FieldSelection }
  | { kind: StepKind.Fragment; skip?: Condition; include?: Condition; typeCondition?: CompositeType; plans: PlansByType };

/** A selection set compiled for one parent type. */
interface SetPlan {
  parentType: CompositeType;
  steps: Step[];
}

/** The plans of one selection set, per parent type, compiled on first use. */
class PlansByType {
  private readonly plans = new Map<CompositeType, SetPlan>();

  constructor(
    private readonly selectionSet: SelectionSet,
    private readonly schema: Schema,
  ) {}

  for(parentType: CompositeType): SetPlan {
    let plan = this.plans.get(parentType);
    if (!plan) this.plans.set(parentType, (plan = compileSet(this.selectionSet, parentType, this.schema)));
    return plan;
  }
}

const enum ShapeKind {
  NonNull,
  List,
  Composite,
  Leaf,
}

/** A field's type, unwrapped once: what updateOutputValue walks for every value. */
type Shape =
  | { kind: ShapeKind.NonNull; type: Type; of: Shape }
  | { kind: ShapeKind.List; type: Type; of: Shape }
  | { kind: ShapeKind.Composite; type: CompositeType; plans?: PlansByType }
  | { kind: ShapeKind.Leaf; type: LeafType; accepts: (value: unknown) => boolean };

function shapeOf(type: Type, selectionSet: SelectionSet | undefined, schema: Schema): Shape {
  if (isNonNullType(type)) return { kind: ShapeKind.NonNull, type, of: shapeOf(type.ofType, selectionSet, schema) };
  if (isListType(type)) return { kind: ShapeKind.List, type, of: shapeOf(type.ofType, selectionSet, schema) };
  if (isCompositeType(type)) return { kind: ShapeKind.Composite, type, plans: selectionSet && new PlansByType(selectionSet, schema) };
  return { kind: ShapeKind.Leaf, type: type as LeafType, accepts: leafCheck(type as LeafType, schema) };
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** federation-internals' isValidLeafValue for one type, its type tests done once rather than per value. */
function leafCheck(type: LeafType, schema: Schema): (value: unknown) => boolean {
  if (isCustomScalarType(type)) return () => true;
  const isBoolean = type === schema.booleanType();
  const isInteger = type === schema.intType() || type === schema.idType();
  const isFloat = type === schema.floatType();
  const enumType = isEnumType(type) ? type : undefined;
  const acceptsString = !isBoolean && type !== schema.intType() && !isFloat;
  return (value) => {
    if (typeof value === 'boolean') return isBoolean;
    if (typeof value === 'number' && isFinite(value)) return isInteger ? INTEGER.test(String(value)) : isFloat;
    if (typeof value === 'string') return enumType ? enumType.value(value) !== undefined : acceptsString;
    return false;
  };
}

function conditionsOf(element: Selection["element"], schema: Schema) {
  const skip = element.appliedDirectivesOf(schema.skipDirective())[0];
  const include = element.appliedDirectivesOf(schema.includeDirective())[0];
  return {
    ...(skip ? { skip: { directive: skip, ifArg: skip.arguments().if } } : {}),
    ...(include ? { include: { directive: include, ifArg: include.arguments().if } } : {}),
  };
}

function compileSet(selectionSet: SelectionSet, parentType: CompositeType, schema: Schema): SetPlan {
  const steps = selectionSet.selections().map((selection): Step => {
    const conditions = conditionsOf(selection.element, schema);
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      const responseName = field.responseName();
      if (field.definition.isSchemaIntrospectionField()) return { kind: StepKind.Introspection, ...conditions, responseName, selection };
      if (field.name === typenameFieldName) return { kind: StepKind.Typename, ...conditions, responseName };
      return {
        kind: StepKind.Field,
        ...conditions,
        responseName,
        shape: shapeOf(field.definition.type!, selection.selectionSet, schema),
        hasSelection: !!selection.selectionSet,
      };
    }
    return { kind: StepKind.Fragment, ...conditions, typeCondition: selection.element.typeCondition, plans: new PlansByType(selection.selectionSet, schema) };
  });
  return { parentType, steps };
}

/** Throws federation-internals' AssertionError; the message is built only on failure, not per value. */
function fail(message: () => string): never {
  assert(false, message);
  throw new Error('unreachable');
}

function ifValue({ directive, ifArg }: Condition, variables: Record<string, unknown>): unknown {
  if (ifArg instanceof Variable) {
    const value = variables[ifArg.name];
    if (typeof value !== 'boolean') fail(() => `Unexpected value ${value} for variable ${ifArg} of ${directive}`);
    return value;
  }
  return ifArg;
}

function skipped(step: Step, variables: Record<string, unknown>): unknown {
  return (step.skip && ifValue(step.skip, variables)) || (step.include && !ifValue(step.include, variables));
}

function typeConditionApplies(schema: Schema, typeCondition: CompositeType | undefined, typename: string | undefined, parentType: CompositeType): boolean {
  if (!typeCondition) return true;
  if (typename) {
    const type = schema.type(typename);
    return !!type && isSubtype(typeCondition, type);
  }
  return isSubtype(typeCondition, parentType);
}

/**
 * The response's objects: without Object.prototype, as @apollo/gateway makes them (a response
 * name such as `__proto__` or `constructor` must stay a plain key), but in V8's fast mode.
 * Object.create(null) makes dictionary-mode objects, which took twice as long to fill and to
 * serialize (a 50-message page: 185 against 84 microseconds).
 */
const ResponseObject = function ResponseObject() {} as unknown as { new (): Data; prototype: object };
ResponseObject.prototype = Object.create(null);

/** False when a null has to bubble up to the parent (NULL_BUBBLE_UP). */
function applySet(plan: SetPlan, input: Data, output: Data, parameters: Parameters, path: Path): boolean {
  const { parentType } = plan;
  for (const step of plan.steps) {
    if ((step.skip || step.include) && skipped(step, parameters.variables)) continue;
    switch (step.kind) {
      case StepKind.Field: {
        const { responseName } = step;
        const inputValue = (Object.hasOwn(input, responseName) ? input[responseName] : undefined) ?? null;
        path.push(responseName);
        output[responseName] = shapeValue(step.shape, output[responseName], inputValue, step.hasSelection, path, parameters, parentType);
        path.pop();
        if (invalid) return false;
        break;
      }
      case StepKind.Typename: {
        const { responseName } = step;
        if (output[responseName] !== undefined) break;
        let inputValue = (Object.hasOwn(input, responseName) ? input[responseName] : undefined) ?? null;
        if (inputValue === null && responseName !== typenameFieldName) inputValue = input[typenameFieldName] ?? null;
        const type = inputValue !== null && typeof inputValue === 'string' ? (parameters.schema.type(inputValue) ?? parentType) : parentType;
        if (!isObjectType(type)) return false;
        output[responseName] = type.name;
        break;
      }
      case StepKind.Introspection:
        if (output[step.responseName] === undefined) output[step.responseName] = parameters.introspectionHandling(step.selection);
        break;
      case StepKind.Fragment: {
        const typename = input[typenameFieldName];
        if (typename && typeof typename !== 'string') fail(() => `Got unexpected value for __typename: ${typename}`);
        if (typeConditionApplies(parameters.schema, step.typeCondition, typename as string | undefined, parentType)) {
          if (!applySet(step.plans.for(step.typeCondition ?? parentType), input, output, parameters, path)) return false;
        }
        break;
      }
    }
  }
  return true;
}

function describeLast(path: Path, currentType: Type, parentType: NamedType): string {
  const element = path[path.length - 1];
  assert(element !== undefined, 'Should not have been called on an empty path');
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

// What @apollo/gateway's updateOutputValue returns beside the value ({ updated, isInvalid,
// hasErrors }), kept in two registers instead of an object per value: every shapeValue sets
// both just before it returns, and callers read them at once.
let invalid = false;
let hasErrors = false;

function done(value: unknown, isInvalid: boolean, errors: boolean): unknown {
  invalid = isInvalid;
  hasErrors = errors;
  return value;
}

function shapeValue(
  shape: Shape,
  outputValue: unknown,
  inputValue: unknown,
  hasSelection: boolean,
  path: Path,
  parameters: Parameters,
  parentType: CompositeType,
): unknown {
  if (inputValue === undefined) fail(() => 'Should not pass undefined for `inputValue` to this method');
  if (outputValue === null || (outputValue !== undefined && !hasSelection)) return done(outputValue, false, false);
  if (shape.kind === ShapeKind.NonNull) {
    const updated = shapeValue(shape.of, outputValue, inputValue, hasSelection, path, parameters, parentType);
    if (updated !== null) return done(updated, false, false);
    if (!hasErrors) {
      parameters.errors.push(
        ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, shape.of.type, parentType)}.`, { path: Array.from(path) }),
      );
    }
    return done(null, true, true);
  }
  if (inputValue === null) return done(null, false, false);
  switch (shape.kind) {
    case ShapeKind.List: {
      if (!Array.isArray(inputValue)) fail(() => `Invalid non-list value ${inputValue} returned by subgraph for list type ${shape.type}`);
      if (outputValue !== undefined && !Array.isArray(outputValue)) fail(() => `Invalid non-list value ${outputValue} returned by subgraph for list type ${shape.type}`);
      const outputList = outputValue as unknown[] | undefined;
      if (outputList !== undefined && inputValue.length !== outputList.length) {
        fail(() => `[${inputValue}].length (${inputValue.length}) !== [${outputList}].length (${outputList.length})`);
      }
      let nullify = false;
      let errors = false;
      const updated: unknown[] = [];
      for (let i = 0; i < inputValue.length; i++) {
        path.push(i);
        updated.push(shapeValue(shape.of, outputList?.[i], inputValue[i], hasSelection, path, parameters, parentType));
        path.pop();
        nullify ||= invalid;
        errors ||= hasErrors;
      }
      return done(nullify ? null : updated, false, errors);
    }
    case ShapeKind.Composite: {
      if (!hasSelection || !shape.plans) fail(() => `Invalid empty selection set for composite type ${shape.type}`);
      if (typeof inputValue !== 'object') fail(() => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${shape.type}`);
      if (outputValue !== undefined && typeof outputValue !== 'object') fail(() => `Invalid non-object value ${inputValue} returned by subgraph for composite type ${shape.type}`);
      const input = inputValue as Data;
      const inputTypename = input[typenameFieldName];
      if (inputTypename !== undefined && typeof inputTypename !== 'string') fail(() => `Invalid non-string value ${inputTypename} for __typename at ${path}`);
      let objectType: CompositeType = shape.type;
      if (inputTypename) {
        const typenameType = parameters.schema.type(inputTypename);
        if (!typenameType || !isCompositeType(typenameType)) {
          parameters.errors.push(
            ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, shape.type, parentType)}.`, { path: Array.from(path) }),
          );
          return done(null, false, true);
        }
        objectType = typenameType;
      }
      const output = (outputValue ?? new ResponseObject()) as Data;
      const ok = applySet(shape.plans.for(objectType), input, output, parameters, path);
      return done(ok ? output : null, false, !ok);
    }
    case ShapeKind.Leaf: {
      if (outputValue !== undefined) fail(() => `Excepted output to be undefined but got ${shape.type} for type ${shape.type}`);
      const valid = shape.accepts(inputValue);
      if (!valid) {
        parameters.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, shape.type, parentType)}.`, { path: Array.from(path) }));
      }
      return done(valid ? inputValue : null, false, !valid);
    }
  }
}

/** Root plans per operation; an operation is reused across requests only where it is memoized (below). */
const rootPlans = new WeakMap<Operation, PlansByType>();

export interface ComputeResponseArgs {
  operation: Operation;
  variables?: Record<string, unknown>;
  input?: Data | null;
  introspectionHandling: (selection: FieldSelection) => unknown;
}

/** @apollo/gateway's computeResponse, from a compiled plan. */
export function computeResponse({ operation, variables, input, introspectionHandling }: ComputeResponseArgs): { data?: Data | null; errors: GraphQLError[] } {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  const parameters: Parameters = {
    schema,
    variables: { __proto__: null, ...operation.collectDefaultedVariableValues(), ...variables } as Record<string, unknown>,
    errors: [],
    introspectionHandling,
  };
  let plans = rootPlans.get(operation);
  if (!plans) rootPlans.set(operation, (plans = new PlansByType(operation.selectionSet, schema)));
  const rootType = schema.schemaDefinition.rootType(operation.rootKind)!;
  const data = new ResponseObject();
  const ok = applySet(plans.for(rootType), input, data, parameters, []);
  return { data: ok ? data : null, errors: parameters.errors };
}

type OperationFromDocument = (schema: Schema, document: DocumentNode, options?: { operationName?: string; validate?: boolean }) => Operation;

/**
 * executeQueryPlan also rebuilds the operation from its (cached) document on every request, 3%
 * of the gateway's CPU on a page, and a new operation would miss the compiled plans above. Its
 * call (unvalidated, the operation and fragments of the cached document) is answered from the
 * operation built the first time; any other call goes through. Operations are only read after
 * they are built.
 */
export function memoizeOperations(original: OperationFromDocument): OperationFromDocument {
  const built = new WeakMap<Schema, WeakMap<DefinitionNode, { definitions: readonly DefinitionNode[]; operation: Operation }>>();
  return function operationFromDocument(schema, document, options) {
    const [first] = document.definitions;
    if (!first || options?.validate !== false || options.operationName !== undefined) return original(schema, document, options);
    let bySchema = built.get(schema);
    if (!bySchema) built.set(schema, (bySchema = new WeakMap()));
    const hit = bySchema.get(first);
    if (hit && hit.definitions.length === document.definitions.length && hit.definitions.every((d, i) => d === document.definitions[i])) {
      return hit.operation;
    }
    const operation = original(schema, document, options);
    bySchema.set(first, { definitions: document.definitions, operation });
    return operation;
  };
}

let installed = false;

/**
 * Has @apollo/gateway shape results with computeResponse above: executeQueryPlan reads the
 * export at each call. The operations are memoized where @apollo/federation-internals' exports
 * are plain properties (federation-exports.ts; not under jest, whose registry keeps the
 * package's getters): there the plans are compiled once per operation, elsewhere once per request.
 */
export function installResultShaping(): { operationsMemoized: boolean } {
  const gatewayPath = require.resolve('@apollo/gateway');
  const shaping = require(require.resolve('@apollo/gateway/dist/resultShaping', { paths: [gatewayPath] })) as { computeResponse: unknown };
  const internals = require(require.resolve('@apollo/federation-internals', { paths: [gatewayPath] })) as { operationFromDocument: OperationFromDocument };
  if (!installed) {
    installed = true;
    shaping.computeResponse = computeResponse;
    const descriptor = Object.getOwnPropertyDescriptor(internals, 'operationFromDocument');
    if (descriptor?.writable) internals.operationFromDocument = memoizeOperations(internals.operationFromDocument);
  }
  return { operationsMemoized: !!Object.getOwnPropertyDescriptor(internals, 'operationFromDocument')?.writable };
}
