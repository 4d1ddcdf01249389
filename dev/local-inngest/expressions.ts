/**
 * The part of Inngest's CEL expressions that function configs and `waitForEvent` use: paths
 * such as `event.data.teamId`, string, number, boolean and null literals, the comparisons
 * `== != < <= > >=`, and `&&` / `||` (without parentheses). Anything else is refused with the
 * reason, at registration when the expression is in the config (checkExpression), rather than
 * guessed at.
 */
type Scope = Record<string, unknown>;

type Operand = { kind: "literal"; value: unknown } | { kind: "path"; path: string[] };
type Comparison = { left: Operand; op?: "==" | "!=" | "<" | "<=" | ">" | ">="; right?: Operand };
/** Clauses joined by `||`, each a list of comparisons joined by `&&`. */
type Condition = Comparison[][];

const TOKEN = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(&&|\|\||==|!=|<=|>=|<|>)|([A-Za-z_][\w.]*)|(\S))/y;

function tokens(expression: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (TOKEN.lastIndex < expression.length && (match = TOKEN.exec(expression))) {
    if (match[5]) throw new Error(`unsupported expression term "${match[5]}" in: ${expression}`);
    const token = match[1] ?? match[2] ?? match[3] ?? match[4];
    if (token !== undefined) out.push(token);
  }
  return out;
}

function operand(token: string | undefined, expression: string): Operand {
  if (token === undefined) throw new Error(`incomplete expression: ${expression}`);
  if (/^'.*'$|^".*"$/s.test(token)) return { kind: "literal", value: token.slice(1, -1).replace(/\\(.)/g, "$1") };
  if (/^-?\d/.test(token)) return { kind: "literal", value: Number(token) };
  if (token === "true" || token === "false") return { kind: "literal", value: token === "true" };
  if (token === "null") return { kind: "literal", value: null };
  if (/^[A-Za-z_][\w.]*$/.test(token) && !token.endsWith(".") && !token.includes("..")) return { kind: "path", path: token.split(".") };
  throw new Error(`unsupported expression term "${token}" in: ${expression}`);
}

function parse(expression: string): Condition {
  const list = tokens(expression);
  if (list.length === 0) throw new Error("empty expression");
  const condition: Condition = [[]];
  for (let i = 0; i < list.length; ) {
    const left = operand(list[i], expression);
    const op = list[i + 1];
    if (op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=") {
      condition.at(-1)!.push({ left, op, right: operand(list[i + 2], expression) });
      i += 3;
    } else {
      condition.at(-1)!.push({ left });
      i += 1;
    }
    const joiner = list[i];
    if (joiner === undefined) break;
    if (joiner === "||") condition.push([]);
    else if (joiner !== "&&") throw new Error(`unsupported expression term "${joiner}" in: ${expression}`);
    i += 1;
    if (i >= list.length) throw new Error(`incomplete expression: ${expression}`);
  }
  return condition;
}

function resolve(operand: Operand, scope: Scope): unknown {
  if (operand.kind === "literal") return operand.value;
  let value: unknown = scope;
  for (const part of operand.path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compare({ left, op, right }: Comparison, scope: Scope): boolean {
  const a = resolve(left, scope);
  if (!op || !right) return Boolean(a);
  const b = resolve(right, scope);
  if (op === "==") return a === b;
  if (op === "!=") return a !== b;
  // CEL compares only numbers with numbers and strings with strings.
  if (!((typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string"))) return false;
  if (op === "<") return a < b;
  if (op === "<=") return a <= b;
  if (op === ">") return a > b;
  return a >= b;
}

/** Throws with the reason if the executor cannot evaluate `expression`. */
export function checkExpression(expression: string): void {
  parse(expression);
}

/** The value of a key expression such as `event.data.teamId`. */
export function evaluateValue(expression: string, scope: Scope): unknown {
  const condition = parse(expression);
  const only = condition.length === 1 && condition[0]!.length === 1 ? condition[0]![0]! : undefined;
  return only && !only.op ? resolve(only.left, scope) : evaluateCondition(expression, scope);
}

export function evaluateCondition(expression: string, scope: Scope): boolean {
  return parse(expression).some((clause) => clause.every((comparison) => compare(comparison, scope)));
}

/** Inngest's duration strings as they appear in ops and configs: "60s", "1m30s", "2h", "7d", or an ISO date. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  let total = 0;
  let matched = false;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (units[unit!] ?? 0);
    matched = true;
  }
  if (matched) return total;
  const at = Date.parse(text);
  if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  throw new Error(`unsupported duration: ${text}`);
}
