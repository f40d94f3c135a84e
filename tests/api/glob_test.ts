import { test } from "node:test";
import assert from "node:assert/strict";
import { globMatch } from "../../api/glob.ts";

test("glob patterns as Redis matches them", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*", "", true], ["*", "anything", true], ["*index*", "applied_index", true], ["*index*", "term", false],
    ["h?llo", "hello", true], ["h?llo", "hllo", false], ["h[ae]llo", "hallo", true], ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true], ["h[^e]llo", "hello", false], ["h[a-b]llo", "hbllo", true], ["h[a-b]llo", "hcllo", false],
    ["a\\*b", "a*b", true], ["a\\*b", "axb", false], ["user:*:name", "user:42:name", true], ["last_*", "last_log_index", true],
    ["[", "[", true], ["abc", "abcd", false],
  ];
  for (const [pattern, text, expected] of cases) assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
});
