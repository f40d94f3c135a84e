/**
 * Entry point of the single executable (bundled by tools/build.ts): the
 * plugin runtime first, then the CLI. Module evaluation follows import order.
 */
import "./sea_runtime.ts";
import "../cli.ts";
