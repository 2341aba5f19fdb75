// Copyright the ddm-resources authors. Licensed under the Apache License, Version 2.0.
//
// pulumi-language-python is a minimal stand-in for Pulumi's Python language host
// (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3), whose Go module
// the Go module proxy reachable here does not serve. It is built from the pinned
// github.com/pulumi/pulumi/sdk/v3 module only, and follows upstream's behaviour for what
// `pulumi preview/up/refresh/destroy/install/about` need:
//
//   - Run: resolves the project's Python with upstream's python/toolchain package (the
//     runtime options `toolchain` pip|uv|poetry and `virtualenv` from Pulumi.yaml),
//     then runs `python pulumi-language-python-exec --monitor ... <entry point> <args>`
//     (the exec script must sit beside this binary) with the same arguments and environment
//     as upstream's host: the flags monitor, engine, project, root_directory, stack, pwd,
//     dry_run, parallel, tracing and organization, each only when non-empty, in that order;
//     PULUMI_CONFIG (the config map as JSON) only when the engine sent a config map (a stack
//     without config gets none, and the SDK reads that as no config), PULUMI_CONFIG_SECRET_KEYS
//     (a JSON list, `[]` when none) always; no other variable and no interpreter flag.
//     Exit code 32 means "error already shown" (bail).
//   - InstallDependencies, About, GetProgramDependencies: via the same toolchain package.
//   - GetRequiredPackages: returns none, so plugins of provider packages (pulumi-aws, ...)
//     are not pre-installed; dynamic providers need no plugin beyond the bundled
//     pulumi-resource-pulumi-python shim.
//
// Not supported: typechecker, debugger attach, codegen (GenerateProject/Package/Program),
// Pack, Link, RunPlugin; those answer Unimplemented.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// How often to check that the engine is still there; the host exits when it is gone,
	// so a killed `pulumi` leaves no language host behind.
	engineCheckInterval = 10 * time.Second
	execScript          = "pulumi-language-python-exec"
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

	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	host := &pythonLanguageHost{exec: pythonExec, tracing: tracing, ctx: ctx, cancel: cancel}
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
	ctx     context.Context
	cancel  context.CancelFunc

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

func (host *pythonLanguageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (host *pythonLanguageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (host *pythonLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
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

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
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

	if err := cmd.Run(); err != nil {
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
	fmt.Fprintln(stdout, "Installing dependencies...")
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.InstallDependencies(server.Context(), req.GetDirectory(), req.GetUseLanguageVersionTools(),
		true /*showOutput*/, stdout, stderr); err != nil {
		return fmt.Errorf("installing dependencies: %w", err)
	}
	fmt.Fprintln(stdout, "Finished installing dependencies")
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
