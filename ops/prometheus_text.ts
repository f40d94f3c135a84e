/**
 * Prometheus text exposition format 0.0.4 (pure): `# HELP` and `# TYPE`
 * once per family, then its samples; histograms as `_bucket{le=…}`
 * (cumulative, ending with +Inf), `_sum` and `_count`.
 */
import type { HistogramSnapshot } from "./histogram.ts";

export type Labels = Readonly<Record<string, string>>;

export type MetricFamily =
  | {
    readonly name: string;
    readonly help: string;
    readonly type: "gauge" | "counter";
    readonly samples: readonly { readonly labels?: Labels; readonly value: number }[];
  }
  | { readonly name: string; readonly help: string; readonly type: "histogram"; readonly histogram: HistogramSnapshot };

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type === "histogram") {
      const { buckets, sum, count } = family.histogram;
      for (const [bound, cumulative] of buckets) lines.push(sample(`${family.name}_bucket`, { le: formatValue(bound) }, cumulative));
      lines.push(sample(`${family.name}_sum`, undefined, sum));
      lines.push(sample(`${family.name}_count`, undefined, count));
    } else {
      for (const { labels, value } of family.samples) lines.push(sample(family.name, labels, value));
    }
  }
  return lines.join("\n") + "\n";
}

function sample(name: string, labels: Labels | undefined, value: number): string {
  const pairs = Object.entries(labels ?? {}).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatValue(value)}`;
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}
