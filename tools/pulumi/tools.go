//go:build tools

// Package tools records the Pulumi engine's main packages as dependencies of this
// wrapper module so that `go mod tidy` keeps go.sum complete for building them.
// It is never compiled (build tag "tools"); scripts/install-pulumi builds the
// binaries with `go build -C tools/pulumi ...`.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	// Holds the Version variable set with -ldflags -X; keeps sdk/v3 a direct requirement.
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version"
)
