/**
 * The small part of Inngest's CEL expressions that function configs use here: paths such as
 * `event.data.teamId`, string and number literals, `==`, `!=` and `&&`. Anything else is
 * reported as unsupported rather than guessed at.
 */
type Scope = Record<string, unknown>;

function resolvePath(path: string, scope: Scope): unknown {
  let value: unknown = scope;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function operand(text: string, scope: Scope): unknown {
  const t = text.trim();
  if (/^'.*'$|^".*"$/.test(t)) return t.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  if (t === "null") return null;
  if (/^[A-Za-z_][\w.]*$/.test(t)) return resolvePath(t, scope);
  throw new Error(`unsupported expression term: ${t}`);
}

/** The value of a key expression such as `event.data.teamId`. */
export function evaluateValue(expression: string, scope: Scope): unknown {
  return operand(expression, scope);
}

export function evaluateCondition(expression: string, scope: Scope): boolean {
  return expression.split("&&").every((clause) => {
    const match = /^(.*?)(==|!=)(.*)$/.exec(clause.trim());
    if (!match) return Boolean(operand(clause, scope));
    const [, left = "", op, right = ""] = match;
    const equal = operand(left, scope) === operand(right, scope);
    return op === "==" ? equal : !equal;
  });
}

/** Inngest's duration strings as they appear in Sleep ops and configs: "60s", "1m30s", "2h", "7d". */
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
