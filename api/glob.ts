/**
 * Redis-style glob matching (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), as Redis's
 * KEYS and RAFT INFO patterns match: the whole of `text` must match. Pure.
 *
 * @param pattern the glob: `*` any run of characters, `?` any one, `[abc]`
 *   or `[a-z]` one of a set (`[^…]` one not in it), `\x` the character x
 * @param text the string to test
 * @returns whether `pattern` matches all of `text`
 *
 * @example
 * ```ts
 * import { globMatch } from "../mod.ts";
 *
 * globMatch("user:*", "user:42");   // true
 * globMatch("h?llo", "hello");      // true
 * globMatch("[^a]b", "ab");         // false
 * ```
 */
export function globMatch(pattern: string, text: string): boolean {
  return matchFrom(pattern, 0, text, 0);
}

function matchFrom(p: string, pi: number, t: string, ti: number): boolean {
  while (pi < p.length) {
    const ch = p[pi];
    if (ch === "*") {
      while (p[pi] === "*") pi++;
      if (pi === p.length) return true;
      for (let k = ti; k <= t.length; k++) if (matchFrom(p, pi, t, k)) return true;
      return false;
    }
    if (ti >= t.length) return false;
    if (ch === "?") {
      pi++;
      ti++;
    } else if (ch === "[") {
      const close = p.indexOf("]", pi + 2);
      if (close === -1) {
        if (t[ti] !== "[") return false;
        pi++;
        ti++;
        continue;
      }
      let set = p.slice(pi + 1, close);
      const negate = set.startsWith("^");
      if (negate) set = set.slice(1);
      let hit = false;
      for (let i = 0; i < set.length; i++) {
        if (set[i] === "\\" && i + 1 < set.length) {
          if (set[++i] === t[ti]) hit = true;
        } else if (set[i + 1] === "-" && i + 2 < set.length) {
          if (t[ti] >= set[i] && t[ti] <= set[i + 2]) hit = true;
          i += 2;
        } else if (set[i] === t[ti]) {
          hit = true;
        }
      }
      if (hit === negate) return false;
      pi = close + 1;
      ti++;
    } else {
      const literal = ch === "\\" && pi + 1 < p.length ? p[++pi] : ch;
      if (literal !== t[ti]) return false;
      pi++;
      ti++;
    }
  }
  return ti === t.length;
}
