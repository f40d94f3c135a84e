/**
 * A strict parser of the Prometheus text exposition format (0.0.4), written
 * for the tests: every line is a `# HELP`, a `# TYPE`, another comment or a
 * sample; names and labels must be well formed, label values correctly
 * escaped, values numbers (or +Inf, -Inf, NaN); a family's HELP and TYPE
 * come at most once, before its samples, and its samples are contiguous and
 * named as its type allows; a histogram's buckets (per label set) rise with
 * `le`, never decrease, end at +Inf and agree with `_count`. Anything else
 * throws an Error naming the line.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type: string;
  help: string | undefined;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, Family>();
  let current: Family | undefined;
  const lines = text.split("\n").slice(0, -1);
  const familyOf = (name: string, lineNo: number): Family => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: "untyped", help: undefined, samples: [] };
      families.set(name, family);
    } else if (family !== current) {
      throw new Error(`line ${lineNo}: family ${name} continues after another family`);
    }
    current = family;
    return family;
  };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    if (line === "") return;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) return; // a plain comment
      const [, keyword, name, rest = ""] = meta;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${lineNo}: bad metric name '${name}'`);
      const family = familyOf(name, lineNo);
      if (keyword === "HELP") {
        if (family.help !== undefined) throw new Error(`line ${lineNo}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`line ${lineNo}: bad escape in HELP`);
        family.help = rest;
      } else {
        if (!TYPES.has(rest)) throw new Error(`line ${lineNo}: bad type '${rest}'`);
        if (family.samples.length > 0 || family.type !== "untyped") throw new Error(`line ${lineNo}: TYPE for ${name} after its samples or twice`);
        family.type = rest;
      }
      return;
    }
    const sample = parseSample(line, lineNo);
    const family = current !== undefined && belongsTo(sample.name, current) ? current : familyOf(sample.name, lineNo);
    if (!belongsTo(sample.name, family)) throw new Error(`line ${lineNo}: ${sample.name} is not a sample name of ${family.type} ${family.name}`);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (family.samples.some((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}` === key)) {
      throw new Error(`line ${lineNo}: duplicate sample ${key}`);
    }
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function belongsTo(name: string, family: Family): boolean {
  if (family.type === "histogram") return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name);
  if (family.type === "summary") return [family.name, `${family.name}_sum`, `${family.name}_count`].includes(name);
  return name === family.name;
}

function parseSample(line: string, lineNo: number): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) throw new Error(`line ${lineNo}: bad sample '${line}'`);
  const name = head[1];
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === "{") {
    at++;
    while (line[at] !== "}") {
      const labelName = /^[^=]*/.exec(line.slice(at))![0];
      if (!LABEL_NAME.test(labelName)) throw new Error(`line ${lineNo}: bad label name '${labelName}'`);
      if (labelName in labels) throw new Error(`line ${lineNo}: label ${labelName} twice`);
      at += labelName.length;
      if (line[at] !== "=" || line[at + 1] !== '"') throw new Error(`line ${lineNo}: expected ="value" after ${labelName}`);
      at += 2;
      let value = "";
      for (;;) {
        const c = line[at++];
        if (c === undefined) throw new Error(`line ${lineNo}: unterminated label value`);
        if (c === '"') break;
        if (c === "\\") {
          const escaped = line[at++];
          if (escaped === "\\" || escaped === '"') value += escaped;
          else if (escaped === "n") value += "\n";
          else throw new Error(`line ${lineNo}: bad escape \\${escaped} in a label value`);
        } else {
          value += c;
        }
      }
      labels[labelName] = value;
      if (line[at] === ",") at++;
      else if (line[at] !== "}") throw new Error(`line ${lineNo}: expected , or } after a label`);
    }
    at++;
  }
  const rest = /^ (\S+)(?: (-?\d+))?$/.exec(line.slice(at));
  if (!rest) throw new Error(`line ${lineNo}: expected ' value [timestamp]' in '${line}'`);
  return { name, labels, value: parseValue(rest[1], lineNo) };
}

function parseValue(text: string, lineNo: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${lineNo}: bad value '${text}'`);
  return Number(text);
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const sample of family.samples) {
    const { le, ...others } = sample.labels;
    const key = JSON.stringify(Object.entries(others).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      group.buckets.push([parseValue(le, 0), sample.value]);
    } else if (sample.name.endsWith("_count")) {
      group.count = sample.value;
    } else {
      group.sum = sample.value;
    }
  }
  for (const [key, group] of groups) {
    const where = `${family.name}${key === "[]" ? "" : key}`;
    if (group.buckets.length === 0 || group.count === undefined || group.sum === undefined) throw new Error(`${where}: needs buckets, _sum and _count`);
    for (let i = 1; i < group.buckets.length; i++) {
      const [bound, count] = group.buckets[i];
      const [previousBound, previousCount] = group.buckets[i - 1];
      if (!(bound > previousBound)) throw new Error(`${where}: le ${bound} after ${previousBound}`);
      if (count < previousCount) throw new Error(`${where}: bucket le=${bound} counts ${count} < ${previousCount}`);
    }
    const [lastBound, lastCount] = group.buckets[group.buckets.length - 1];
    if (lastBound !== Infinity) throw new Error(`${where}: the last bucket must be le="+Inf"`);
    if (lastCount !== group.count) throw new Error(`${where}: +Inf bucket ${lastCount} != _count ${group.count}`);
  }
}

/** The value of the one sample of `family` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, family: string, labels: Record<string, string> = {}, name = family): number {
  const found = families.get(family)?.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (!found || found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${found?.length ?? 0}`);
  return found[0].value;
}
