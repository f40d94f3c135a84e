/**
 * `npm start [-- [app.ts | kvdb | ticket | timeseries] flags]`: runs a node
 * of cli.ts on Node (kvdb when no app is given, as `uhaha` does).
 */
process.argv = [process.argv[0], "cli.ts", ...process.argv.slice(2)];
await import("../cli.ts");
