// ticket_main.ts — a user's own main file: the ticket app as a program of
// its own, for `deno run -A examples/ticket_main.ts` or
// `deno task compile examples/ticket_main.ts` (a standalone binary).
import { main } from "../mod.ts";
import ticket from "./ticket.ts";

await main(ticket);
