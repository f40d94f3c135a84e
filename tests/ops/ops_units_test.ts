/**
 * The pure parts of metrics, status and the proxy: the histogram, the
 * Prometheus renderer against the strict test parser (and the parser's
 * refusals), bearer-token checks, which first bytes the node's HTTP
 * endpoints take, and the proxy's reply re-encoding (byte for byte).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Histogram } from "../../ops/histogram.ts";
import { renderPrometheus } from "../../ops/prometheus_text.ts";
import { bearerMatches, opsRequestLine } from "../../ops/ops_http.ts";
import { toReplyValue } from "../../cluster/leader_proxy.ts";
import { ReplyWriter } from "../../server/resp_writer.ts";
import { parseReply } from "../../server/resp_reply_parser.ts";
import { resp, type ReplyValue } from "../../api/reply.ts";
import { parsePrometheusText, sampleValue } from "./prometheus_parser.ts";

const encoder = new TextEncoder();

describe("Histogram", () => {
  test("cumulative buckets, +Inf equal to the count, the sum of observations", () => {
    const histogram = new Histogram([0.1, 1]);
    for (const value of [0.05, 0.1, 0.5, 2, 3]) histogram.observe(value);
    const snapshot = histogram.snapshot();
    assert.deepEqual(snapshot.buckets, [[0.1, 2], [1, 3], [Infinity, 5]]);
    assert.equal(snapshot.count, 5);
    assert.ok(Math.abs(snapshot.sum - 5.65) < 1e-9);
  });
});

describe("renderPrometheus and the strict parser", () => {
  test("gauges, counters with escaped labels and a histogram parse back to the same values", () => {
    const histogram = new Histogram([0.001, 0.01]);
    histogram.observe(0.0005);
    histogram.observe(0.5);
    const text = renderPrometheus([
      { name: "t_gauge", help: "A gauge\nwith a line feed and a \\ backslash.", type: "gauge", samples: [{ value: 1.5 }] },
      { name: "t_total", help: "A counter.", type: "counter", samples: [{ labels: { kind: 'say "hi"\\\n' }, value: 7 }, { labels: { kind: "b" }, value: 0 }] },
      { name: "t_seconds", help: "A histogram.", type: "histogram", histogram: histogram.snapshot() },
    ]);
    const families = parsePrometheusText(text);
    assert.equal(families.get("t_gauge")?.type, "gauge");
    assert.equal(sampleValue(families, "t_gauge"), 1.5);
    assert.equal(sampleValue(families, "t_total", { kind: 'say "hi"\\\n' }), 7);
    assert.equal(sampleValue(families, "t_seconds", { le: "+Inf" }, "t_seconds_bucket"), 2);
    assert.equal(sampleValue(families, "t_seconds", { le: "0.001" }, "t_seconds_bucket"), 1);
    assert.equal(sampleValue(families, "t_seconds", {}, "t_seconds_count"), 2);
  });

  const refusals: [string, string][] = [
    ["no final line feed", "a 1"],
    ["a bad metric name", "1a 1\n"],
    ["a bad label name", 'a{1x="v"} 1\n'],
    ["a bad escape", 'a{x="\\t"} 1\n'],
    ["an unterminated label value", 'a{x="v} 1\n'],
    ["a bad value", "a one\n"],
    ["a second TYPE", "# TYPE a gauge\n# TYPE a gauge\na 1\n"],
    ["a TYPE after samples", "a 1\n# TYPE a gauge\n"],
    ["an unknown type", "# TYPE a meter\na 1\n"],
    ["a family split by another", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x=\"y\"} 2\n"],
    ["a duplicate sample", "a 1\na 2\n"],
    ["a sample name the histogram does not have", "# TYPE h histogram\nh 1\n"],
    ["buckets that decrease", '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
    ["bounds out of order", '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ["no +Inf bucket", '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ["+Inf disagreeing with _count", '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'],
  ];
  for (const [what, text] of refusals) {
    test(`refuses ${what}`, () => assert.throws(() => parsePrometheusText(text)));
  }
});

describe("the node's HTTP endpoints", () => {
  test("take a whole GET/HEAD request line for /, /metrics or /status, nothing else", () => {
    const taken = (text: string) => opsRequestLine(encoder.encode(text));
    assert.deepEqual(taken("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), { method: "GET", path: "/metrics" });
    assert.deepEqual(taken("HEAD /status?pretty=1 HTTP/1.0\r\n"), { method: "HEAD", path: "/status" });
    assert.deepEqual(taken("GET / HTTP/1.1\r\n"), { method: "GET", path: "/" });
    for (const other of ["GET /metrics\r\n", "GET /metrics", "GET /key HTTP/1.1\r\n", "PUT /metrics HTTP/1.1\r\n", "*2\r\n$3\r\nGET\r\n", "GET /metricsx HTTP/1.1\r\n"]) {
      assert.equal(taken(other), undefined, JSON.stringify(other));
    }
  });

  test("bearer tokens: the secret only, in the Bearer scheme", () => {
    assert.equal(bearerMatches("Bearer s3cret", "s3cret"), true);
    assert.equal(bearerMatches("bearer  s3cret ", "s3cret"), true);
    assert.equal(bearerMatches("Bearer s3cre", "s3cret"), false);
    assert.equal(bearerMatches("Basic s3cret", "s3cret"), false);
    assert.equal(bearerMatches(undefined, "s3cret"), false);
    assert.equal(bearerMatches("Bearer ", ""), false);
  });
});

describe("the proxy's replies", () => {
  test("a parsed reply becomes a value that encodes to the same bytes", () => {
    const values: ReplyValue[] = [
      resp.ok, new Error("ERR wrong number of arguments for 'get' command"), new Error("MOVED 0 127.0.0.1:1"),
      resp.int(-42), resp.int(2n ** 62n), encoder.encode("bulk\r\nwith CRLF"), null, resp.nullArray, [],
      [resp.int(1), [encoder.encode("nested"), null], resp.simple("PONG"), new Error("ERR inside")],
    ];
    for (const value of values) {
      const writer = new ReplyWriter();
      writer.value(value);
      const bytes = writer.take();
      const parsed = parseReply(bytes, 0, bytes.length);
      assert.equal(parsed.kind, "reply");
      if (parsed.kind !== "reply") continue;
      const again = new ReplyWriter();
      again.value(toReplyValue(parsed.reply));
      assert.deepEqual(again.take(), bytes);
    }
  });
});
