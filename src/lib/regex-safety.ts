/**
 * A regex runs inside one native call that nothing can interrupt, so a pattern able to backtrack exponentially
 * (`(a+)+`, `(a*)*`, `(a|aa)+` against a long run of `a`s) holds the worker for as long as the input lets it. Such
 * patterns are refused when they are compiled instead. The rule is deliberately simple and conservative: a group
 * repeated more than once may hold neither a variable quantifier (`*`, `+`, `?`, `{n,}`, `{n,m}`) nor alternatives
 * that can match the same text (only literal alternatives none of which is a prefix of another pass). Some safe
 * patterns, such as `(\w+\s)+`, are refused with the rest; they can be written without the nested repetition
 * (`[\w\s]+`, or the group matched once).
 */

/** Longer patterns are refused: a pattern is a few dozen characters, a long one is generated or hostile. */
export const MAX_REGEX_LENGTH = 500;

export interface RegexRisk {
  /** Index in the pattern source where the risky construct starts. */
  index: number;
  reason: string;
}

interface Quantifier {
  min: number;
  max: number;
}

type RegexNode =
  | { kind: "literal"; text: string; index: number; quantifier?: Quantifier }
  | { kind: "atom"; index: number; quantifier?: Quantifier }
  | { kind: "group"; alternatives: RegexNode[][]; index: number; quantifier?: Quantifier };

class Parser {
  i = 0;
  constructor(readonly source: string) {}

  alternatives(closing: boolean): RegexNode[][] {
    const alternatives: RegexNode[][] = [[]];
    while (this.i < this.source.length) {
      const char = this.source[this.i];
      if (char === ")") {
        this.i++;
        if (closing) return alternatives;
        continue;
      }
      if (char === "|") {
        this.i++;
        alternatives.push([]);
        continue;
      }
      const node = this.atom();
      const quantifier = this.quantifier();
      if (quantifier) node.quantifier = quantifier;
      alternatives[alternatives.length - 1].push(node);
    }
    return alternatives;
  }

  private atom(): RegexNode {
    const { source } = this;
    const index = this.i;
    const char = source[this.i++];
    if (char === "(") {
      if (source[this.i] === "?") {
        const next = source[this.i + 1];
        if (next === "<" && source[this.i + 2] !== "=" && source[this.i + 2] !== "!") {
          this.i = source.indexOf(">", this.i) + 1;
        } else {
          this.i += next === "<" ? 3 : 2;
        }
      }
      return { kind: "group", alternatives: this.alternatives(true), index };
    }
    if (char === "[") {
      if (source[this.i] === "^") this.i++;
      while (this.i < source.length && source[this.i] !== "]") this.i += source[this.i] === "\\" ? 2 : 1;
      this.i++;
      return { kind: "atom", index };
    }
    if (char === "\\") return this.escape(index);
    if (char === "." || char === "^" || char === "$") return { kind: "atom", index };
    return { kind: "literal", text: char, index };
  }

  private escape(index: number): RegexNode {
    const { source } = this;
    const char = source[this.i++] ?? "";
    if (/[1-9]/.test(char)) {
      while (/[0-9]/.test(source[this.i] ?? "")) this.i++;
      return { kind: "atom", index };
    }
    if (char === "k" || char === "p" || char === "P") {
      const close = source[this.i] === "<" ? ">" : source[this.i] === "{" ? "}" : null;
      if (close) this.i = source.indexOf(close, this.i) + 1;
      return { kind: "atom", index };
    }
    if (char === "u") this.i = source[this.i] === "{" ? source.indexOf("}", this.i) + 1 : this.i + 4;
    else if (char === "x") this.i += 2;
    else if (char === "c") this.i += 1;
    else if (/[dDwWsSbB]/.test(char)) return { kind: "atom", index };
    return { kind: "literal", text: source.slice(index, this.i), index };
  }

  private quantifier(): Quantifier | null {
    const { source } = this;
    const char = source[this.i];
    let quantifier: Quantifier | null = null;
    if (char === "*") quantifier = { min: 0, max: Number.POSITIVE_INFINITY };
    else if (char === "+") quantifier = { min: 1, max: Number.POSITIVE_INFINITY };
    else if (char === "?") quantifier = { min: 0, max: 1 };
    if (quantifier) {
      this.i++;
    } else if (char === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(this.i));
      if (!match) return null;
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] ? Number(match[3]) : Number.POSITIVE_INFINITY;
      quantifier = { min, max };
      this.i += match[0].length;
    } else {
      return null;
    }
    if (source[this.i] === "?") this.i++;
    return quantifier;
  }
}

/** Alternatives that are plain literals, none a prefix of another, are matched one way only: `(GET|POST)+`. */
function unambiguous(alternatives: RegexNode[][], ignoreCase: boolean): boolean {
  const words: string[] = [];
  for (const alternative of alternatives) {
    let word = "";
    for (const node of alternative) {
      if (node.kind !== "literal" || node.quantifier) return false;
      word += node.text;
    }
    words.push(ignoreCase ? word.toLowerCase() : word);
  }
  words.sort();
  return words.every((word, i) => i === 0 || !word.startsWith(words[i - 1]));
}

/** What inside a repeated group makes it able to match one text in many ways, if anything. */
function ambiguityInside(alternatives: RegexNode[][], ignoreCase: boolean): RegexRisk | null {
  if (alternatives.length > 1 && !unambiguous(alternatives, ignoreCase)) {
    return { index: alternatives[1][0]?.index ?? 0, reason: "alternatives that can match the same text" };
  }
  for (const node of alternatives.flat()) {
    if (node.quantifier && node.quantifier.min !== node.quantifier.max) {
      return { index: node.index, reason: "another quantifier" };
    }
    if (node.kind === "group") {
      const inner = ambiguityInside(node.alternatives, ignoreCase);
      if (inner) return inner;
    }
  }
  return null;
}

function riskIn(alternatives: RegexNode[][], ignoreCase: boolean): RegexRisk | null {
  for (const node of alternatives.flat()) {
    if (node.kind !== "group") continue;
    if (node.quantifier && node.quantifier.max > 1) {
      const inner = ambiguityInside(node.alternatives, ignoreCase);
      if (inner) {
        return {
          index: node.index,
          reason: `the repeated group at index ${node.index} holds ${inner.reason} (index ${inner.index}), so it can backtrack exponentially`,
        };
      }
    }
    const nested = riskIn(node.alternatives, ignoreCase);
    if (nested) return nested;
  }
  return null;
}

/** Why a pattern (already known to compile) is refused, or null when it is safe to run on any input. */
export function regexRisk(source: string, flags = ""): RegexRisk | null {
  if (source.length > MAX_REGEX_LENGTH) {
    return { index: MAX_REGEX_LENGTH, reason: `the pattern is over ${MAX_REGEX_LENGTH} characters` };
  }
  return riskIn(new Parser(source).alternatives(false), flags.includes("i"));
}
