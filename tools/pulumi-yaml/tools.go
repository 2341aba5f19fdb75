//go:build tools

// Package tools records the YAML language host's main package as a dependency of this wrapper
// module, so that `go mod tidy` keeps go.sum complete for building it. It is never compiled
// (build tag "tools"); scripts/install-pulumi builds the binary with
// `go build -C tools/pulumi-yaml github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml`.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
