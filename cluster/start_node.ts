/**
 * A running uhaha node, assembled in named steps: open its storage, listen,
 * decide how it starts (existing member, new cluster, joiner), open the Raft
 * driver over the replicated machine, wire the commands, serve, start the
 * TICKs, join if asked; and stop in the reverse order.
 */
import * as path from "node:path";
import type { App } from "../api/app.ts";
import { formatHostPort, type HostPort, isLoopbackHost } from "../api/host_port.ts";
import { UHAHA_VERSION } from "../api/version.ts";
import type { NodeContext } from "../commands/node_context.ts";
import { raftInfo } from "../commands/raft_commands.ts";
import { ReplicatedMachine } from "../machine/machine.ts";
import { TickProposer } from "../machine/tick_proposer.ts";
import { WriteBatcher } from "../machine/write_batcher.ts";
import type { MembershipConfig } from "../raft/core/types.ts";
import { RaftDriver } from "../raft/driver.ts";
import { isPeerPrefix } from "../raft/transport/handshake.ts";
import { PeerTransport } from "../raft/transport/peer_transport.ts";
import { type PeerTls, serverTlsOptions } from "../raft/transport/peer_tls.ts";
import { CommandTable, createDispatch } from "../server/command_table.ts";
import { RespServer } from "../server/resp_server.ts";
import { AuthThrottle } from "../server/auth_throttle.ts";
import { callHook, connectionOpened } from "./app_hooks.ts";
import { wireCommands } from "./command_wiring.ts";
import { machineApplier, roleReporter } from "./driver_hooks.ts";
import { startCatchUpProgress } from "./catch_up_progress.ts";
import { handOverLeadership, leaveCluster, proposeAcrossHandover } from "./graceful_stop.ts";
import { joinCluster } from "./join.ts";
import { MembershipGuard } from "./membership_guard.ts";
import { MembershipRecordFile, removedMessage } from "./membership_record.ts";
import { startNonVoterEviction } from "./nonvoter_eviction.ts";
import type { NodeLogger } from "./logger.ts";
import type { NodeLimits } from "./node_limits.ts";
import { importRestoreSnapshot, logDirOf, type NodeStorage, openNodeStorage } from "./node_storage.ts";
import { ServiceHost } from "./service_host.ts";
import { LeaderProxy } from "./leader_proxy.ts";
import { nodeFileIO } from "../raft/storage/file_io.ts";
import { NodeMetrics } from "../ops/node_metrics.ts";
import { opsHttpService } from "../ops/ops_http.ts";
import { StartupProgress } from "./startup_progress.ts";
import { loadTlsFiles } from "./tls_files.ts";
import { TimeSource, type TimeSourceOptions } from "../time/time_source.ts";

/** What a node is told to be (the command line's flags satisfy it). */
export interface ClusterNodeOptions {
  readonly nodeId: number;
  /** Where to listen; host "" is every interface. */
  readonly listen: HostPort;
  /** What other nodes and redirected clients use, when not the listen address. */
  readonly advertise: HostPort | undefined;
  readonly dataDir: string;
  /** A member to ask to add this node (ignored once it belongs to a cluster). */
  readonly join: string | undefined;
  readonly nonVoter: boolean;
  readonly tlsCertPath: string | undefined;
  readonly tlsKeyPath: string | undefined;
  /** Trust anchors peers verify each other with (default: the --tls-cert file; dialing, also the system roots). */
  readonly tlsCaPath: string | undefined;
  /** Shared secret of clients and peers. */
  readonly auth: string | undefined;
  readonly nosync: boolean;
  readonly openReads: boolean;
  readonly tryErrors: boolean;
  /** A follower forwards commands that need the leader to it (leader_proxy.ts) instead of redirecting. */
  readonly proxy: boolean;
  /** A snapshot file to start a new one-node cluster from. */
  readonly restorePath: string | undefined;
  /** Automatic snapshot after this many applied entries (undefined: the driver's default). */
  readonly snapshotThresholdEntries: number | undefined;
  /** Where the TICKs' time comes from (host clock, or NTP servers with a start-up policy). */
  readonly time: TimeSourceOptions;
  /** On stop, have the leader remove this node from the configuration first. */
  readonly leaveOnExit: boolean;
  /** Wipe the node's directory before opening it. */
  readonly reset: boolean;
  /** As leader, remove a non-voter silent this long, in ms (undefined: never). */
  readonly evictNonVoterAfterMs: number | undefined;
  /** Bounds on clients, unread replies and queued writes (cluster/node_limits.ts). */
  readonly limits: NodeLimits;
}

export interface RunningClusterNode {
  readonly port: number;
  /** Resolves when the node has stopped (SHUTDOWN, stop(), or on its own: removed, refused). */
  readonly stopped: Promise<void>;
  /** Why the node stopped on its own when it should not have (the process should exit non-zero), else undefined. */
  readonly failure: Error | undefined;
  stop(): Promise<void>;
}

/** Milliseconds between TICK entries, as uhaha. */
const TICK_INTERVAL_MS = 200;
/** Most client writes in one log entry, as uhaha. */
const MAX_WRITES_PER_ENTRY = 256;
/** How long stop() lets clients finish before cutting them. */
const STOP_GRACE_MS = 5_000;
/** How long a stopping leader tries to hand leadership over (a transfer is abandoned after an election timeout, then retried). */
const HANDOVER_TIMEOUT_MS = 3_000;
/** How long a stopping node with --leave-on-exit tries to have itself removed. */
const LEAVE_TIMEOUT_MS = 5_000;

export async function startClusterNode(app: App<unknown>, options: ClusterNodeOptions, log: NodeLogger): Promise<RunningClusterNode> {
  const appVersion = app.version ?? "0.0.0";
  announce(app, appVersion, options, log);
  const tls = loadTlsFiles({ certPath: options.tlsCertPath, keyPath: options.tlsKeyPath, caPath: options.tlsCaPath });
  const metrics = new NodeMetrics();
  const storage = await openNodeStorage(path.join(options.dataDir, app.name, String(options.nodeId)), {
    nosync: options.nosync,
    restoring: options.restorePath !== undefined,
    reset: options.reset,
    log,
    logIO: metrics.observeFileIO(nodeFileIO),
  });
  try {
    const server = await RespServer.listen({ address: options.listen, tls: tls && serverTlsOptions(tls) });
    try {
      return await startOnStorage(app, appVersion, options, log, storage, server, tls, metrics);
    } catch (error) {
      await server.close();
      throw error;
    }
  } catch (error) {
    await storage.close();
    throw error;
  }
}

async function startOnStorage(
  app: App<unknown>,
  appVersion: string,
  options: ClusterNodeOptions,
  log: NodeLogger,
  storage: NodeStorage,
  server: RespServer,
  tls: PeerTls | undefined,
  metrics: NodeMetrics,
): Promise<RunningClusterNode> {
  const nodeId = options.nodeId;
  const membership = MembershipRecordFile.open(storage.dir, options.nosync);
  const removal = membership.record.selfRemoved;
  if (removal) throw new Error(removedMessage(nodeId, removal, storage.dir));
  let failure: Error | undefined;
  const guard = new MembershipGuard(membership, nodeId, storage.dir, log, {
    onRemoved: (message) => {
      if (stopping) return log.info(`node ${nodeId} is no longer a member of the cluster`);
      log.warn(`${message}; stopping`);
      void stop();
    },
    dropPeer: (id) => transport.dropIncoming(id, `node ${id} was removed`),
  });
  const advertise = advertisedAddress(options, server.port, log);
  const self: MembershipConfig = { members: [{ id: nodeId, address: advertise, voter: true }] };
  const { initialConfig, joining } = startingMembership(storage, options, self, log);
  if (initialConfig === self) logBootstrapHint(options.listen, server.port, advertise, log);
  if (options.restorePath) await importRestoreSnapshot(storage.snapshots, options.restorePath, self, log);
  await storage.stable.update({ nodeId, config: initialConfig });

  const machine = new ReplicatedMachine(app);
  const time = new TimeSource(options.time, log);
  const progress = new StartupProgress(storage.log.lastIndex(), joining, log);
  const driver = await RaftDriver.open({
    id: nodeId,
    log: storage.log,
    stable: storage.stable,
    snapshots: storage.snapshots,
    logger: log,
    initialConfig,
    snapshotThresholdEntries: options.snapshotThresholdEntries,
    applier: metrics.observeApplier(machineApplier(machine, log)),
    onStateChange: roleReporter(app, log),
    onApplied: (applied) => {
      progress.onApplied(applied);
      guard.applied(driver.status, applied);
    },
  });
  // One brake on guessing for both doors to the secret: AUTH and the peer handshake.
  const authThrottle = new AuthThrottle();
  const transport = new PeerTransport({
    selfId: nodeId,
    selfAddress: advertise,
    secret: options.auth,
    guard: authThrottle,
    tls,
    log,
    onMessage: (message) => driver.receive(message),
    onSnapshot: (message, data) => driver.receiveSnapshot(message, data),
    admit: (peerId) => guard.admit(driver.status, peerId),
    onRefused: (peerId, reason) => guard.refused(driver.status, peerId, reason),
  });

  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const table = new CommandTable();
  const context: NodeContext = {
    app,
    appVersion,
    nodeId,
    advertise,
    driver,
    machine,
    snapshots: storage.snapshots,
    snapshotDir: storage.snapshotDir,
    openReads: options.openReads,
    verifiedTls: tls !== undefined,
    isLoaded: () => progress.loaded,
    tryErrors: options.tryErrors,
    log,
    startupLastIndex: progress.startupLastIndex,
    shutdown: () => void stop(),
    dispatch: createDispatch(table, options.auth !== undefined),
    commandObservers: new Set(),
    time,
    proxy: options.proxy
      ? new LeaderProxy({ status: driver.status, leaderAddress: () => driver.leaderAddress(), tls, password: options.auth, log })
      : undefined,
  };
  const propose = proposeAcrossHandover(driver, HANDOVER_TIMEOUT_MS);
  const batcher = new WriteBatcher(async (payload) => (await propose(payload)) as unknown[], MAX_WRITES_PER_ENTRY, options.limits.maxQueuedWrites);
  const commands = wireCommands(table, context, batcher, {
    password: options.auth,
    authThrottle,
    connectedClients: () => server.connectionCount,
  });
  const clientDispatch = metrics.observeDispatch(commands.clientDispatch, commands.kindOf);
  const services = new ServiceHost(clientDispatch, () => raftInfo(context), log, options.auth === undefined);
  // The node's /metrics, /status and page come before the app's services (see ops/ops_http.ts).
  const serviceList = [opsHttpService(options.auth, {
    nodeId,
    address: advertise,
    app: app.name,
    version: appVersion,
    status: driver.status,
    leaderAddress: () => driver.leaderAddress(),
    logDir: logDirOf(storage.dir),
    snapshots: storage.snapshots,
    connectedClients: () => server.connectionCount,
    metrics,
  }), ...(app.services ?? [])];

  server.serve({
    dispatch: clientDispatch,
    concurrencyOf: commands.concurrencyOf,
    open: options.auth === undefined,
    onOpen: (conn) => connectionOpened(app, conn, log),
    onClose: (conn) => callHook(log, "connClosed", () => app.connClosed?.({ remoteAddress: conn.remoteAddress, context: conn.context })),
    onProblem: (conn, message) => log.verb(`client ${conn.remoteAddress}: ${message}`),
    onLimit: (conn, message) => log.warn(`client ${conn.remoteAddress}: ${message}`),
    maxClients: options.limits.maxClients,
    authTimeoutMs: options.limits.authTimeoutMs,
    maxReplyBufferBytes: options.limits.maxReplyBufferBytes,
    sniff: (socket, first) => {
      if (isPeerPrefix(first)) {
        transport.acceptIncoming(socket, first);
        return true;
      }
      const service = serviceList.find((candidate) => candidate.sniff(first));
      if (service) services.serve(service, socket, first);
      return service !== undefined;
    },
  });
  driver.start(transport);
  // A member that applied this node's removal while it was away refuses it: hear so now, not at the next election.
  if (storage.existed) transport.connectAll();
  const stopCatchUpProgress = startCatchUpProgress(driver, log);
  const stopEviction = options.evictNonVoterAfterMs === undefined
    ? () => {}
    : startNonVoterEviction(driver, () => transport.stats().received, options.evictNonVoterAfterMs, log);
  time.start();
  const ticks = new TickProposer({
    intervalMs: TICK_INTERVAL_MS,
    isLeader: () => driver.status.role === "leader",
    isClockReady: () => time.ready,
    clock: () => time.now(),
    propose: (payload) => driver.propose(payload),
    onLost: (error) => log.debug(`tick: ${error.message}`),
  });
  ticks.start();
  if (joining) {
    void joinCluster({
      joinAddress: options.join!,
      nodeId,
      advertise,
      nonVoter: options.nonVoter,
      tls,
      password: options.auth,
      log,
      done: () => stopping !== undefined || driver.status.config.members.some((m) => m.id === nodeId),
      hintLeader: (address) => driver.hintLeader(address),
      refused: (reason) => {
        failure = new Error(reason);
        log.warn(`cannot join: ${reason}`);
        void stop();
      },
    });
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      ticks.stop();
      stopEviction();
      stopCatchUpProgress();
      // Clients and peers are still served: the new leader's votes and
      // appends reach this node, and writes sent here are redirected to it.
      await handOverLeadership(driver, log, HANDOVER_TIMEOUT_MS);
      if (options.leaveOnExit && failure === undefined) {
        const left = await leaveCluster(driver, log, { tls, password: options.auth, timeoutMs: LEAVE_TIMEOUT_MS });
        if (left) guard.left(driver.status);
      }
      time.stop();
      // In-flight writes finish (the driver still runs) and get their replies.
      // server.close() resolves only once every accepted socket is gone, peer
      // links included, and those close with the transport: wait for the
      // clients, then close the transport, then await the listener.
      const serverClosed = server.close(STOP_GRACE_MS);
      while (server.connectionCount > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await driver.close();
      context.proxy?.closeAll();
      await transport.close();
      services.closeAll();
      await serverClosed;
      await guard.flushed();
      await storage.close();
      callHook(log, "stateChange", () => app.stateChange?.("shutdown"));
      log.info("node stopped");
      resolveStopped();
    })();
    return stopping;
  }

  return {
    port: server.port,
    stopped,
    stop,
    get failure() {
      return failure;
    },
  };
}

function announce(app: App<unknown>, appVersion: string, options: ClusterNodeOptions, log: NodeLogger): void {
  log.info(`starting ${app.name} version ${appVersion} (uhaha ${UHAHA_VERSION})`);
  const features = [
    options.tlsCertPath && "tls",
    options.auth !== undefined && "auth",
    options.nosync && "nosync",
    options.openReads && "openreads",
  ].filter(Boolean);
  if (features.length > 0) log.info(`features: ${features.join(", ")}`);
  log.info(`node: ${options.nodeId}`);
  if (options.auth === undefined && !isLoopbackHost(options.listen.host)) {
    const where = options.listen.host === "" ? "every interface" : options.listen.host;
    log.warn(`listening on ${where} without --auth: anyone who can reach this port can join the cluster and read and write its data`);
  }
}

/** host:port for peers and redirects: --advertise, else the bound address (127.0.0.1 for every interface). */
function advertisedAddress(options: ClusterNodeOptions, port: number, log: NodeLogger): string {
  const listenHost = options.listen.host === "" ? "0.0.0.0" : options.listen.host;
  log.info(`server listening at ${formatHostPort(listenHost, port)}`);
  if (options.advertise) return formatHostPort(options.advertise.host, options.advertise.port);
  return formatHostPort(listenHost === "0.0.0.0" ? "127.0.0.1" : listenHost, port);
}

/**
 * How this node starts: a member of the cluster its directory belongs to,
 * the first node of a new cluster, or a joiner with no configuration until
 * the leader sends one.
 */
function startingMembership(
  storage: NodeStorage,
  options: ClusterNodeOptions,
  self: MembershipConfig,
  log: NodeLogger,
): { initialConfig: MembershipConfig; joining: boolean } {
  const saved = storage.stable.get();
  if (saved.nodeId !== null && saved.nodeId !== options.nodeId) {
    throw new Error(`${storage.dir} belongs to node ${saved.nodeId}, not ${options.nodeId}`);
  }
  if (storage.existed) {
    if (options.join) log.info("ignoring join request because server already belongs to a cluster");
    return { initialConfig: saved.config ?? { members: [] }, joining: false };
  }
  if (options.join !== undefined) return { initialConfig: { members: [] }, joining: true };
  log.info("bootstrapping new cluster");
  return { initialConfig: self, joining: false };
}

/** How to reach the first node of a new cluster, and how to add the next. */
function logBootstrapHint(listen: HostPort, port: number, advertise: string, log: NodeLogger): void {
  const next = formatHostPort(listen.host === "" ? "127.0.0.1" : listen.host, port + 1);
  log.info(`connect with: redis-cli -p ${port}; add a node: the same command with -n 2 -a ${next} -j ${advertise}`);
}
