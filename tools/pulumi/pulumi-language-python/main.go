// Copyright the ddm-resources authors. Licensed under the Apache License, Version 2.0.
//
// pulumi-language-python is a small stand-in for Pulumi's Python language host
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), whose Go module
// the Go module proxy reachable here does not serve. It is built from the pinned
// github.com/pulumi/pulumi/sdk/v3 module only, and follows upstream's behaviour for what
// `pulumi preview/up/refresh/destroy/install/about` need. RPC by RPC:
//
//   - Handshake, GetPluginInfo: as upstream. The host watches the engine as upstream's does:
//     a health check every 5 minutes (engineCheckInterval); when the engine does not answer,
//     the host stops serving and exits. A SIGINT (the engine sends one to the host's process
//     group when it closes the plugin) does the same.
//   - Run: resolves the project's Python with upstream's python/toolchain package (the
//     runtime options `toolchain` pip|uv|poetry and `virtualenv` from Pulumi.yaml),
//     then runs `python pulumi-language-python-exec --monitor ... <entry point> <args>`
//     (the exec script must sit beside this binary) with the same arguments and environment
//     as upstream's host: the flags monitor, engine, project, root_directory, stack, pwd,
//     dry_run, parallel, tracing and organization, each only when non-empty, in that order;
//     PULUMI_CONFIG (the config map as JSON) only when the engine sent a config map (a stack
//     without config gets none, and the SDK reads that as no config), PULUMI_CONFIG_SECRET_KEYS
//     (a JSON list, `[]` when none) always; no other variable and no interpreter flag.
//     Exit code 32 means "error already shown" (bail). A program still running when Cancel
//     arrives gets SIGINT, and is killed if it has not exited programStopGrace (5 s) later, as
//     upstream's language hosts do (Node.js, Ruby: SIGINT, then a kill 5 s later). When the Run
//     call itself ends first (the engine no longer waits: a failed preview, or the engine is
//     gone), the program gets programStopGrace to exit on its own and is then killed, not
//     interrupted: a Python program already shutting down would print a KeyboardInterrupt
//     traceback.
//   - Cancel: stops the running programs that way (SIGINT, then kill); a Run after Cancel
//     does not start its program.
//   - GetRequiredPackages: creates the virtualenv named by the `virtualenv` option when it does
//     not exist yet or is empty, and installs requirements.txt into it (the toolchain's
//     EnsureVenv, as upstream's host does here; `pulumi up` in a fresh checkout calls it
//     first), showing pip's progress as ephemeral engine messages. It then reports no
//     packages: upstream reports the installed pulumi-* provider packages, so that the engine
//     installs their plugins (dynamic providers need none beyond the bundled
//     pulumi-resource-pulumi-python shim), and warns about a Python older than 3.7.
//   - InstallDependencies (`pulumi install`), About, GetProgramDependencies: via the same
//     toolchain package, as upstream.
//   - GetRequiredPlugins: answers empty (upstream: Unimplemented; the engine asks
//     GetRequiredPackages instead). RuntimeOptionsPrompts: answers no prompt (upstream offers
//     the toolchain and virtualenv choices of `pulumi new`).
//
// Not supported, where upstream's host supports them: the `typechecker` option (mypy, pyright:
// refused with an error), debugger attach (Run answers an error), RunPlugin (plugins written
// in Python), Pack, Link and codegen (GenerateProject/Package/Program). These RPCs, and
// Template, answer Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// How often the host checks that the engine is still there (upstream's interval); when it
	// is gone, the host stops serving and exits. A killed `pulumi` can leave the host behind
	// for up to this long; the program it ran is stopped within programStopGrace (see Run).
	engineCheckInterval = 5 * time.Minute
	// How long a program has to exit after its SIGINT before it is killed (upstream's hosts wait
	// as long), and how long it has after the Run call ended before that SIGINT.
	programStopGrace = 5 * time.Second
	execScript       = "pulumi-language-python-exec"
	// The exec script exits with this code after it has shown the user an error.
	exitAfterUserActionableMessage = 32
)

func main() {
	var tracing string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.Parse()
	logging.InitLogging(false, 0, false)

	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
	}
	pythonExec := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(pythonExec); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", pythonExec, err))
	}

	// SIGINT or a failed engine health check: stop serving (after the calls in flight) and exit.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel() // later SIGINTs get Go's default handling again
		close(stop)
	}()
	programs, cancelPrograms := context.WithCancel(context.Background())
	host := &pythonLanguageHost{
		exec: pythonExec, tracing: tracing, ctx: ctx, cancel: cancel,
		programs: programs, cancelPrograms: cancelPrograms,
	}
	if args := flag.Args(); len(args) > 0 {
		host.setEngine(args[0])
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type pythonLanguageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec    string
	tracing string
	// The host's lifetime: cancelled by SIGINT or when the engine is gone.
	ctx    context.Context
	cancel context.CancelFunc
	// Cancelled by the Cancel RPC: every running program is stopped (SIGINT, then kill).
	programs       context.Context
	cancelPrograms context.CancelFunc

	mu            sync.Mutex
	engineAddress string
	watching      bool
}

// setEngine records the engine's address and, the first time, starts watching it: when the
// engine stops answering health checks the host stops serving and exits.
func (host *pythonLanguageHost) setEngine(address string) {
	host.mu.Lock()
	defer host.mu.Unlock()
	host.engineAddress = address
	if address != "" && !host.watching {
		host.watching = true
		if err := rpcutil.Healthcheck(host.ctx, address, engineCheckInterval, host.cancel); err != nil {
			logging.V(3).Infof("language host: cannot watch the engine at %s: %v", address, err)
		}
	}
}

func parseOptions(info *pulumirpc.ProgramInfo) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{
		Root:       info.GetRootDirectory(),
		ProgramDir: info.GetProgramDirectory(),
	}
	options := info.GetOptions().AsMap()
	if v, ok := options["virtualenv"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := options["toolchain"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("toolchain option must be a string")
		}
		switch s {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %s", s)
		}
	}
	if v, ok := options["typechecker"]; ok && v != "" {
		return opts, fmt.Errorf("the typechecker option (%v) is not supported by this language host", v)
	}
	return opts, nil
}

// toolchainFor resolves the Python toolchain (pip, uv or poetry, and the virtualenv) of a program.
func toolchainFor(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, error) {
	opts, err := parseOptions(info)
	if err != nil {
		return nil, err
	}
	return toolchain.ResolveToolchain(opts)
}

func (host *pythonLanguageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	host.setEngine(req.GetEngineAddress())
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (host *pythonLanguageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (host *pythonLanguageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages creates the program's virtualenv from requirements.txt when the
// `virtualenv` option names one that does not exist yet (or is empty), as upstream's host does
// at this point of `pulumi preview/up`; pip's output goes to the engine as ephemeral messages.
// It reports no packages (see the file comment).
func (host *pythonLanguageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	stdout, stderr, closer, err := host.engineWriters(ctx)
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, /*useLanguageVersionTools*/
		true /*showOutput*/, stdout, stderr); err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// engineWriters returns writers whose every write becomes one ephemeral log message of the
// engine (info and error severity, one stream), for output the user watches while it runs.
// Without an engine address (no Handshake), the host's own stdout and stderr stand in.
func (host *pythonLanguageHost) engineWriters(ctx context.Context) (io.Writer, io.Writer, io.Closer, error) {
	host.mu.Lock()
	address := host.engineAddress
	host.mu.Unlock()
	if address == "" {
		return os.Stdout, os.Stderr, io.NopCloser(nil), nil
	}
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()),
		rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("language host could not make connection to engine: %w", err)
	}
	engine := pulumirpc.NewEngineClient(conn)
	stream := rand.Int31() //nolint:gosec // a stream ID, not a secret
	info := &engineLog{ctx: ctx, engine: engine, stream: stream, severity: pulumirpc.LogSeverity_INFO}
	errs := &engineLog{ctx: ctx, engine: engine, stream: stream, severity: pulumirpc.LogSeverity_ERROR}
	return info, errs, conn, nil
}

type engineLog struct {
	ctx      context.Context
	engine   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w *engineLog) Write(p []byte) (int, error) {
	if _, err := w.engine.Log(w.ctx, &pulumirpc.LogRequest{
		Message:   strings.ToValidUTF8(string(p), "\uFFFD"),
		Ephemeral: true,
		StreamId:  w.stream,
		Severity:  w.severity,
	}); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (host *pythonLanguageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Cancel stops the programs this host runs: SIGINT, then a kill after programStopGrace. The
// engine calls it when the user interrupts `pulumi up` (Ctrl-C) and before it closes the host.
func (host *pythonLanguageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	host.cancelPrograms()
	return &emptypb.Empty{}, nil
}

func (host *pythonLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "attaching a debugger is not supported by this language host"}, nil
	}
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}

	host.mu.Lock()
	engine := host.engineAddress
	host.mu.Unlock()
	args := []string{host.exec}
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", host.tracing)
	add("organization", req.GetOrganization())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// The program stops when Cancel arrives (SIGINT, then kill); when this call ends first (the
	// engine no longer waits for it), it has programStopGrace to exit on its own, then is killed.
	programCtx, stopProgram := context.WithCancel(host.programs)
	defer stopProgram()
	var started *os.Process
	var startedMu sync.Mutex
	defer context.AfterFunc(ctx, func() {
		time.AfterFunc(programStopGrace, func() {
			startedMu.Lock()
			defer startedMu.Unlock()
			if started != nil {
				_ = started.Kill() // no SIGINT: a Python program shutting down would print a traceback
			}
		})
	})()
	cmd, err := tc.Command(programCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = programStopGrace
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	env, err := programEnv(req)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, env...)
	logging.V(5).Infof("language host launching: %v", cmd.Args)

	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	startedMu.Lock()
	started = cmd.Process
	startedMu.Unlock()
	if err := cmd.Wait(); err != nil {
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				if status.ExitStatus() == exitAfterUserActionableMessage {
					return &pulumirpc.RunResponse{Bail: true}, nil
				}
				return &pulumirpc.RunResponse{
					Error: fmt.Sprintf("program exited with non-zero exit code: %d", status.ExitStatus()),
				}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// interrupt sends SIGINT to a program (Python raises KeyboardInterrupt), or kills it when
// the signal cannot be sent.
func interrupt(process *os.Process) error {
	if err := process.Signal(os.Interrupt); err != nil {
		if errors.Is(err, os.ErrProcessDone) {
			return err
		}
		return process.Kill()
	}
	return nil
}

// programEnv returns the variables the program gets on top of the host's environment, as
// upstream's host sets them: PULUMI_CONFIG only when the engine sent a config map (protobuf
// decodes an empty map as nil, which must not become the JSON `null`), and
// PULUMI_CONFIG_SECRET_KEYS always (`[]` when there are none).
func programEnv(req *pulumirpc.RunRequest) ([]string, error) {
	var env []string
	if config := req.GetConfig(); config != nil {
		data, err := json.Marshal(config)
		if err != nil {
			return nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(data))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	data, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	return append(env, "PULUMI_CONFIG_SECRET_KEYS="+string(data)), nil
}

func (host *pythonLanguageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := parseOptions(req.GetInfo())
	if err != nil {
		return err
	}
	if req.GetIsPlugin() && opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.InstallDependencies(server.Context(), req.GetDirectory(), req.GetUseLanguageVersionTools(),
		true /*showOutput*/, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (host *pythonLanguageHost) About(
	ctx context.Context, req *pulumirpc.AboutRequest,
) (*pulumirpc.AboutResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
	}, nil
}

func (host *pythonLanguageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := toolchainFor(req.GetInfo())
	if err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pkgs))
	for _, p := range pkgs {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}
