/**
 * `npm start [-- flags] [app.ts]`: runs a node; with no application module
 * given, the kvdb example. Everything else is cli.ts.
 */
const args = process.argv.slice(2);
const hasModule = args.some((arg) => /\.(m?[jt]s|tsx)$/.test(arg) && !arg.startsWith("-"));
const kvdb = new URL("../examples/kvdb.ts", import.meta.url).pathname;
process.argv = [process.argv[0], "cli.ts", ...(hasModule ? [] : [kvdb]), ...args];
await import("../cli.ts");
