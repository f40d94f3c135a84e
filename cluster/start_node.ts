/**
 * A running uhaha node: storage under `<dir>/<app>/<id>/`, the Raft driver,
 * the peer transport, the replicated machine with its TICKs, and the RESP
 * server that serves clients and hands peer connections to the transport.
 */
import { asError } from "../api/errors.ts";
import { formatHostPort } from "../api/host_port.ts";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { getRandomValues } from "node:crypto";
import type { App } from "../api/app.ts";
import { encodeTick } from "../machine/log_payload.ts";
import { ReplicatedMachine } from "../machine/machine.ts";
import { WriteBatcher } from "../machine/write_batcher.ts";
import { RaftDriver } from "../raft/driver.ts";
import type { MembershipConfig } from "../raft/core/types.ts";
import { lockDirectory, openFileLogStore, openFileSnapshotStore, openFileStableStore } from "../raft/storage/mod.ts";
import { PeerTransport } from "../raft/transport/peer_transport.ts";
import { isPeerPrefix } from "../raft/transport/handshake.ts";
import { CommandTable, createConcurrencyOf, createDispatch } from "../server/command_table.ts";
import type { ConcurrencyOf } from "../server/client_connection.ts";
import { callHook, connectionOpened, filterResponses, observeCommands, ServiceClient } from "./app_hooks.ts";
import type { Socket } from "node:net";
import type { Service, ServiceApi } from "../api/app.ts";
import { connectionCommands } from "../commands/connection_commands.ts";
import { RespServer } from "../server/resp_server.ts";
import { appCommandSpecs } from "../commands/app_commands.ts";
import { clusterCommand } from "../commands/cluster_commands.ts";
import type { NodeFlags } from "../cli/flags.ts";
import { joinCluster } from "./join.ts";
import type { Logger, RoleLetter } from "./logger.ts";
import { machineCommands } from "../commands/machine_commands.ts";
import type { NodeContext } from "../commands/node_context.ts";
import { raftCommand, raftInfo } from "../commands/raft_commands.ts";
import { UHAHA_VERSION } from "../api/version.ts";

/** Tunables of a node beyond the command line (tests shorten them). */
export interface NodeTuning {
  /** Milliseconds between TICK entries. Default 200, as uhaha. */
  readonly tickEntryMs?: number;
  /** Length of a Raft core tick. Default 100 ms. */
  readonly raftTickMs?: number;
  /** Election timeout in core ticks. Default 10. */
  readonly electionTicks?: number;
  /** Automatic snapshot after this many applied entries. Default 8192. */
  readonly snapshotThresholdEntries?: number;
  /** Most writes per log entry. Default 256. */
  readonly maxWritesPerEntry?: number;
}

export interface RunningClusterNode {
  readonly port: number;
  /** Resolves when the node has stopped (SHUTDOWN or stop()). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

const ROLE_LETTERS = { follower: "F", preCandidate: "C", candidate: "C", leader: "L" } as const satisfies Record<string, RoleLetter>;

/** Unix nanoseconds from the host clock, never going backwards within this process. */
function monotonicClock(): () => bigint {
  let last = 0n;
  return () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    last = now > last ? now : last + 1n;
    return last;
  };
}

/** Reads a file named by a flag, or throws an error saying which flag and why. */
function readFlagFile(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${flag} '${file}': ${(error as Error).message}`);
  }
}

/**
 * UHAHA_SNAPSHOT_THRESHOLD=<entries> overrides the automatic snapshot
 * threshold (default 8192 applied entries). For tests, which cannot wait
 * for 8192 entries; not a user-facing setting.
 */
function snapshotThresholdFromEnv(): number | undefined {
  const text = process.env.UHAHA_SNAPSHOT_THRESHOLD;
  if (text === undefined || text === "") return undefined;
  const entries = Number(text);
  if (!Number.isSafeInteger(entries) || entries < 1) {
    throw new Error(`UHAHA_SNAPSHOT_THRESHOLD must be a positive integer, not '${text}'`);
  }
  return entries;
}

function randomSeed(): bigint {
  return new DataView(getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0, true);
}


export async function startClusterNode(
  app: App<unknown>,
  flags: NodeFlags,
  log: Logger,
  tuning: NodeTuning = {},
): Promise<RunningClusterNode> {
  const appVersion = app.version ?? "0.0.0";
  log.info(`starting ${app.name} version ${appVersion} (uhaha ${UHAHA_VERSION})`);
  const nodeId = Number(flags.nodeId);
  const tls = flags.tlsCertPath && flags.tlsKeyPath
    ? { cert: readFlagFile(flags.tlsCertPath, "--tls-cert"), key: readFlagFile(flags.tlsKeyPath, "--tls-key") }
    : undefined;
  const features = [tls && "tls", flags.auth !== undefined && "auth", flags.nosync && "nosync", flags.openReads && "openreads"]
    .filter(Boolean);
  if (features.length > 0) log.info(`features: ${features.join(", ")}`);
  log.info(`node: ${nodeId}`);

  const dir = path.join(flags.dataDir, app.name, String(nodeId));
  // This process owns the directory before anything in it is read (see raft/storage/dir_lock.ts).
  const dirLock = await lockDirectory(dir);
  const existed = existsSync(path.join(dir, "stable.json"));
  if (flags.restorePath && existed) {
    throw new Error(`--restore refused: ${dir} already holds a node's data; move it away or use another -d`);
  }
  const storageLog = (level: string, message: string) => (level === "info" ? log.info(message) : log.warn(message));
  const stable = await openFileStableStore(path.join(dir, "stable.json"), { nosync: flags.nosync, logger: storageLog });
  const logStore = await openFileLogStore(path.join(dir, "log"), { nosync: flags.nosync, logger: storageLog });
  const snapshotDir = path.join(dir, "snapshots");
  const snapshots = await openFileSnapshotStore(snapshotDir, { nosync: flags.nosync, logger: storageLog });

  let serveService = (_service: Service, socket: Socket, _first: Uint8Array) => void socket.destroy();
  // The listener comes first: with port 0 (tests) the advertised address needs the real port.
  let onPeer: (socket: import("node:net").Socket, first: Uint8Array) => void = (socket) => socket.destroy();
  let dispatch: ReturnType<typeof createDispatch> = () => new Error("LOADING node is starting");
  let concurrencyOf: ConcurrencyOf = () => "exclusive";
  const server = await RespServer.listen({
    address: flags.listen,
    dispatch: (conn, args) => dispatch(conn, args),
    concurrencyOf: (args) => concurrencyOf(args),
    onOpen: (conn) => connectionOpened(app, conn, log),
    onClose: (conn) => callHook(log, "connClosed", () => app.connClosed?.({ remoteAddress: conn.remoteAddress, context: conn.context })),
    open: flags.auth === undefined,
    tls,
    onProblem: (conn, message) => log.verb(`client ${conn.remoteAddress}: ${message}`),
    sniff: (socket, first) => {
      if (isPeerPrefix(first)) {
        onPeer(socket, first);
        return true;
      }
      const service = app.services?.find((candidate) => candidate.sniff(first));
      if (!service) return false;
      serveService(service, socket, first);
      return true;
    },
  });
  const listenHost = flags.listen.host === "" ? "0.0.0.0" : flags.listen.host;
  const advertise = flags.advertise
    ? formatHostPort(flags.advertise.host, flags.advertise.port)
    : formatHostPort(listenHost === "0.0.0.0" ? "127.0.0.1" : listenHost, server.port);
  log.info(`server listening at ${formatHostPort(listenHost, server.port)}`);

  const self: MembershipConfig = { members: [{ id: nodeId, address: advertise, voter: true }] };
  const saved = stable.get();
  if (saved.nodeId !== null && saved.nodeId !== String(nodeId)) {
    throw new Error(`${dir} belongs to node ${saved.nodeId}, not ${nodeId}`);
  }
  let initialConfig: MembershipConfig = { members: [] };
  const joining = !existed && flags.join !== undefined;
  if (existed) {
    initialConfig = (saved.config as unknown as MembershipConfig | null) ?? initialConfig;
    if (flags.join) log.info("ignoring join request because server already belongs to a cluster");
  } else if (!joining) {
    initialConfig = self;
    log.info("bootstrapping new cluster");
    const nextAddress = formatHostPort(listenHost === "0.0.0.0" ? "127.0.0.1" : listenHost, server.port + 1);
    log.info(`connect with: redis-cli -p ${server.port}; add a node: the same command with -n 2 -a ${nextAddress} -j ${advertise}`);
  }

  const machine = new ReplicatedMachine(app);
  if (flags.restorePath) {
    const imported = await snapshots.importFile(flags.restorePath);
    const reader = await snapshots.open(imported.id);
    const data = await reader.readData();
    await reader.close();
    // Same state, but as a new single-node cluster.
    const sink = await snapshots.create({ ...imported, config: JSON.parse(JSON.stringify(self)) });
    await sink.write(data);
    await sink.commit();
    log.info(`restored snapshot ${imported.id} from ${flags.restorePath}`);
  }
  await stable.update({ nodeId: String(nodeId), config: JSON.parse(JSON.stringify(initialConfig)) });

  const startupLastIndex = logStore.lastIndex();
  let loaded = false;
  let lastProgressLog = 0;
  let stopping = false;
  const driver = await RaftDriver.open({
    id: nodeId,
    log: logStore,
    stable,
    snapshots,
    logger: log,
    initialConfig,
    tickMs: tuning.raftTickMs,
    electionTicks: tuning.electionTicks,
    snapshotThresholdEntries: tuning.snapshotThresholdEntries ?? snapshotThresholdFromEnv(),
    applier: {
      apply: (data, index) => {
        const outcome = machine.apply(data);
        if (outcome.type === "invalid") log.warn(`entry ${index}: ${outcome.error.message}`);
        return outcome.type === "batch" ? outcome.results : [];
      },
      snapshot: () => machine.snapshot(),
      restore: (bytes) => machine.restore(bytes),
      snapshotHeader: () => ({ time: Number(machine.timeNs / 1_000_000n), seed: "" }),
    },
    onStateChange: ({ role, term, leaderId }) => {
      if (ROLE_LETTERS[role] !== log.role) {
        callHook(log, "stateChange", () => app.stateChange?.(role === "leader" ? "leader" : role === "follower" ? "follower" : "candidate"));
      }
      log.role = ROLE_LETTERS[role];
      if (role === "leader") log.info(`entering leader state (term ${term})`);
      else log.verb(`${role} in term ${term}, leader ${leaderId || "unknown"}`);
    },
    onApplied: (applied) => {
      if (loaded) return;
      if (applied >= startupLastIndex) {
        loaded = true;
        log.info("logs loaded: ready for commands");
      } else if (Date.now() - lastProgressLog > 1000) {
        lastProgressLog = Date.now();
        const percent = ((applied / startupLastIndex) * 100).toFixed(1);
        log.info(`logs progress: ${percent}%, remaining=${startupLastIndex - applied}`);
      }
    },
  });

  const transport = new PeerTransport({
    selfId: nodeId,
    selfAddress: advertise,
    secret: flags.auth,
    tls: tls !== undefined,
    log,
    onMessage: (message) => driver.receive(message),
    onSnapshot: (message, data) => driver.receiveSnapshot(message, data),
  });
  onPeer = (socket, first) => transport.acceptIncoming(socket, first);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const context: NodeContext = {
    app,
    appVersion,
    nodeId,
    advertise,
    driver,
    machine,
    snapshots,
    snapshotDir,
    openReads: flags.openReads,
    isLoaded: () => loaded,
    tryErrors: flags.tryErrors,
    log,
    startupLastIndex,
    shutdown: () => void stop(),
    dispatch: () => new Error("LOADING node is starting"),
    commandObservers: new Set(),
  };

  const batcher = new WriteBatcher(async (payload) => (await driver.propose(payload)) as unknown[], tuning.maxWritesPerEntry ?? 256);
  const table = new CommandTable();
  table.add(...connectionCommands({
    password: flags.auth,
    serverName: app.name,
    serverVersion: appVersion,
    table,
    connectedClients: () => server.connectionCount,
  }));
  table.add(...machineCommands(context), raftCommand(context), clusterCommand(context));
  const { specs, catchAll } = appCommandSpecs(context, batcher);
  for (const spec of specs) {
    if (table.get(spec.name)) throw new Error(`command '${spec.name}' of ${app.name} clashes with a built-in command`);
    table.add(spec);
  }
  context.dispatch = createDispatch(table, flags.auth !== undefined, catchAll);
  concurrencyOf = createConcurrencyOf(table, catchAll);
  dispatch = observeCommands(context, filterResponses(app, context.dispatch, log));

  // Service connections (e.g. idle HTTP keep-alive) are cut on stop: the listener's close waits for them.
  const serviceSockets = new Set<Socket>();
  serveService = (service, socket, first) => {
    serviceSockets.add(socket);
    socket.once("close", () => serviceSockets.delete(socket));
    const client = new ServiceClient(socket);
    const api: ServiceApi = {
      send: async (args) => {
        const rawArgs = args.map((arg) => typeof arg === "string" ? new TextEncoder().encode(arg) : arg);
        try {
          return await dispatch(client, rawArgs);
        } catch (error) {
          return asError(error);
        }
      },
      status: () => raftInfo(context),
    };
    try {
      service.serve(socket, first, api);
      socket.resume();
    } catch (error) {
      log.warn(`service ${service.name} failed on ${client.remoteAddress}: ${(error as Error).message}`);
      socket.destroy();
    }
  };
  driver.start(transport);
  if (startupLastIndex === 0 && !joining) log.info("logs loaded: ready for commands");
  if (startupLastIndex === 0) loaded = !joining;

  // The leader writes the time and a fresh seed into the log every 200 ms.
  const clock = monotonicClock();
  let tickInFlight = false;
  const ticker = setInterval(() => {
    if (driver.status.role !== "leader" || tickInFlight) return;
    tickInFlight = true;
    driver.propose(encodeTick(clock(), randomSeed()))
      .catch((error) => log.debug(`tick: ${(error as Error).message}`))
      .finally(() => (tickInFlight = false));
  }, tuning.tickEntryMs ?? 200);

  if (joining) {
    void joinCluster({
      joinAddress: flags.join!,
      nodeId,
      advertise,
      nonVoter: flags.nonVoter,
      tls: tls !== undefined,
      password: flags.auth,
      log,
      done: () => stopping || driver.status.config.members.some((m) => m.id === nodeId),
      hintLeader: (address) => driver.hintLeader(address),
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return stopped;
    stopping = true;
    clearInterval(ticker);
    // In-flight writes finish (the driver still runs) and get their replies.
    // server.close() resolves only once every accepted socket is gone, peer
    // links included, and those close with the transport: wait for the
    // clients, then close the transport, then await the listener.
    const serverClosed = server.close(5_000);
    while (server.connectionCount > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await driver.close();
    await transport.close();
    for (const socket of serviceSockets) socket.destroy();
    await serverClosed;
    await logStore.close();
    await stable.close();
    dirLock.release();
    callHook(log, "stateChange", () => app.stateChange?.("shutdown"));
    log.info("node stopped");
    resolveStopped();
  }

  return { port: server.port, stopped, stop };
}
