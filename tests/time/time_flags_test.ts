import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFlags } from "../../cli/flags.ts";
import { DEFAULT_NTP_SERVERS } from "../../time/sntp_client.ts";
import { DEFAULT_TIME_GRACE_MS } from "../../time/time_source.ts";
import { helpText } from "../../cli/help.ts";

function timeOf(argv: string[]) {
  const result = parseFlags(argv);
  assert.ok(result.ok, result.ok ? "" : result.error);
  return result.flags.time;
}
function errorOf(argv: string[]): string {
  const result = parseFlags(argv);
  assert.ok(!result.ok);
  return result.error;
}

test("machine time: NTP with the public pools by default, --localtime, --ntp, --strict-time, --time-grace", () => {
  assert.deepEqual(timeOf([]), { kind: "ntp", servers: DEFAULT_NTP_SERVERS, strict: false, graceMs: DEFAULT_TIME_GRACE_MS });
  assert.deepEqual(timeOf(["--localtime"]), { kind: "local" });
  assert.deepEqual(timeOf(["-localtime"]), { kind: "local" });
  assert.deepEqual(timeOf(["--ntp", "127.0.0.1:4123,time.example", "--strict-time", "--time-grace", "0.25"]), {
    kind: "ntp",
    servers: [{ host: "127.0.0.1", port: 4123 }, { host: "time.example", port: 123 }],
    strict: true,
    graceMs: 250,
  });
  assert.deepEqual(timeOf(["-ntp=a", "-time-grace=0"]), { kind: "ntp", servers: [{ host: "a", port: 123 }], strict: false, graceMs: 0 });
});

test("machine time usage errors", () => {
  assert.equal(errorOf(["--ntp"]), "--ntp needs NTP servers host[:port],…");
  assert.equal(errorOf(["--ntp", "a,,b"]), "--ntp needs servers host[:port],…, got 'a,,b'");
  assert.equal(errorOf(["--ntp", "a:99999"]), "--ntp needs a port from 1 to 65535, got '99999' in 'a:99999'");
  assert.equal(errorOf(["--time-grace", "soon"]), "--time-grace needs a number of seconds (0 to 3600), got 'soon'");
  assert.equal(errorOf(["--time-grace", "7200"]), "--time-grace needs a number of seconds (0 to 3600), got '7200'");
  assert.equal(errorOf(["--localtime", "--ntp", "a"]), "--ntp cannot be used with --localtime: --localtime uses no time server");
  assert.equal(errorOf(["--localtime", "--strict-time"]), "--strict-time cannot be used with --localtime: --localtime uses no time server");
  assert.equal(errorOf(["-localtime", "-time-grace=1"]), "-time-grace cannot be used with -localtime: --localtime uses no time server");
});

test("the help screen names every time flag", () => {
  const help = helpText("uhaha");
  for (const flag of ["--localtime", "--ntp servers", "--time-grace s", "--strict-time"]) assert.ok(help.includes(flag), flag);
  assert.ok(!help.includes("changes nothing yet"));
});
